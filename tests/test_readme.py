"""The README stays true: every ```python block runs on its own and prints what it says.

Each block runs as a script in a fresh empty folder, in a new interpreter that can import
the project's packages (autograd, nn, viz) and nothing else of the checkout, as after
``pip install gradflow``. The guides of the documentation site (docs/*.md) are held to the
same rules, except that the blocks of one page run in order as one script. Then:

- a ``print(...)`` line with a trailing comment must print exactly that comment
  (``print(w2.grad)   # -12.0``); a print without a comment is not checked;
- a block followed by a ```text block must print exactly that text;
- a file the block writes under the name of a figure the README shows (``docs/NAME.svg``)
  must be byte for byte that figure: the README's pictures are what its code draws.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PACKAGES = ("autograd", "nn", "viz")

# A fenced block, possibly indented (in a list item); its info string ("python", "{include}").
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
PRINT_WITH_COMMENT = re.compile(r"^\s*print\(.*\)\s+#\s?(.*)$")
FIGURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")

# Runs a snippet with print() recording, per line of the snippet, what that line printed.
RUNNER = """
import builtins, io, json, runpy, sys
script, record = sys.argv[1], sys.argv[2]
printed = {}
real_print = builtins.print
def recording_print(*args, **kwargs):
    frame = sys._getframe(1)
    if frame.f_code.co_filename == script and kwargs.get("file") is None:
        text = io.StringIO()
        real_print(*args, **{**kwargs, "file": text})
        printed.setdefault(frame.f_lineno, []).append(text.getvalue())
    real_print(*args, **kwargs)
builtins.print = recording_print
try:
    runpy.run_path(script, run_name="__main__")
finally:
    with open(record, "w") as f:
        json.dump(printed, f)
"""


@dataclass
class Block:
    code: str
    line: int  # line of the README where the code starts
    output: str | None  # the ```text block right after it, if any


def python_blocks(text: str) -> list[Block]:
    fences = list(FENCE.finditer(text))
    blocks = []
    for i, fence in enumerate(fences):
        if _info(fence) != "python":
            continue
        output = None
        after = fences[i + 1] if i + 1 < len(fences) else None
        if after and _info(after) == "text" and not text[fence.end() : after.start()].strip():
            output = _body(after)
        line = text.count("\n", 0, fence.start("body")) + 1
        blocks.append(Block(_body(fence), line, output))
    return blocks


def _info(fence: re.Match) -> str:
    return fence.group("info").strip().split(" ")[0] if fence.group("info").strip() else ""


def _body(fence: re.Match) -> str:
    width = len(fence.group("indent"))
    lines = fence.group("body").splitlines(keepends=True)
    return "".join(line[width:] if line.strip() else "\n" for line in lines)


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))
GUIDES = [
    page
    for page in sorted((ROOT / "docs").glob("*.md"))
    if python_blocks(page.read_text(encoding="utf-8"))
]


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 4


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder holding only the project's packages, for PYTHONPATH."""
    folder = tmp_path_factory.mktemp("site")
    for name in PACKAGES:
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    return folder


def run_snippet(code: str, site: Path, tmp_path: Path) -> tuple[Path, str, dict[int, str]]:
    """Run ``code`` in a fresh folder: the folder, its stdout, and what each line printed."""
    work = tmp_path / "fresh"
    work.mkdir()
    script, record = work / "snippet.py", tmp_path / "printed.json"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, str(script), str(record)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, f"failed:\n{run.stderr[-3000:]}"
    printed = {int(k): "".join(v) for k, v in json.loads(record.read_text()).items()}
    return work, run.stdout, printed


def check_prints(code: str, printed: dict[int, str], where: str, first_line: int) -> None:
    """Each print line with a comment printed that comment."""
    for number, line in enumerate(code.splitlines(), start=1):
        said = PRINT_WITH_COMMENT.match(line)
        if said:
            got = printed.get(number, "").strip()
            assert got == said.group(1).strip(), (
                f"{where} line {first_line + number - 1} prints {got!r}, "
                f"its comment says {said.group(1).strip()!r}"
            )


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{b.line}" for b in BLOCKS])
def test_readme_block_runs_and_prints_what_it_says(block, site, tmp_path):
    work, stdout, printed = run_snippet(block.code, site, tmp_path)
    where = f"README.md (block at line {block.line}):"
    check_prints(block.code, printed, "README.md", block.line)
    if block.output is not None:
        assert _lines(stdout) == _lines(block.output), f"{where} the text block below it"

    for figure in FIGURE.findall(README.read_text(encoding="utf-8")):
        drawn = work / Path(figure).name
        if drawn.exists():
            assert drawn.read_bytes() == (ROOT / figure).read_bytes(), (
                f"{where} draws {drawn.name}, which differs from the README's {figure}: "
                "regenerate the figures (make figures) or fix the code"
            )


@pytest.mark.parametrize("page", GUIDES, ids=[p.name for p in GUIDES])
def test_guide_blocks_run_in_order_and_print_what_they_say(page, site, tmp_path):
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    code, starts = "", []  # starts: (line in the script, line in the page) of each block
    for block in blocks:
        starts.append((code.count("\n") + 1, block.line))
        code += block.code + "\n"
    _, _, printed = run_snippet(code, site, tmp_path)
    for block, (script_line, page_line) in zip(blocks, starts, strict=True):
        shifted = {n - script_line + 1: text for n, text in printed.items()}
        check_prints(block.code, shifted, f"docs/{page.name}", page_line)


def test_readme_figures_exist_and_its_code_draws_one():
    text = README.read_text(encoding="utf-8")
    figures = [f for f in FIGURE.findall(text) if not f.startswith("http")]
    assert figures
    for figure in figures:
        assert (ROOT / figure).is_file(), f"README.md shows {figure}, which is missing"
    drawn = {Path(f).name for f in figures} & {
        m for b in BLOCKS for m in re.findall(r"render\(\"([^\"]+)\"\)", b.code)
    }
    assert drawn, "no README block draws a figure the README shows"


def test_figures_shown_are_what_the_code_draws_now(tmp_path):
    """Every figure of the README and the guides is what ``make figures`` draws from the
    current code, byte for byte (or, for the README's first one, what its code block draws)."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    shown = {
        (page.parent / figure).resolve()
        for page in pages
        for figure in FIGURE.findall(page.read_text(encoding="utf-8"))
        if not figure.startswith("http")
    }
    # make_figures writes beside itself: run a copy, so the checkout is left as it is.
    copy = tmp_path / "docs" / "make_figures.py"
    copy.parent.mkdir()
    copy.write_bytes((ROOT / "docs" / "make_figures.py").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, str(copy)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    drawn_by_blocks = {m for b in BLOCKS for m in re.findall(r"render\(\"([^\"]+)\"\)", b.code)}
    for figure in sorted(shown):
        assert figure.is_file(), f"{figure.relative_to(ROOT)} is shown but missing"
        fresh = copy.parent / figure.name
        if not fresh.exists():
            assert figure.name in drawn_by_blocks, (
                f"{figure.relative_to(ROOT)} is drawn neither by make_figures nor by a README block"
            )
            continue
        assert fresh.read_bytes() == figure.read_bytes(), (
            f"{figure.relative_to(ROOT)} is not what the code draws now: make figures"
        )


def test_readme_links_point_to_files_in_the_repository():
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (ROOT / target).exists(), f"README.md links to {target}, which is missing"


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]
