"""Sphinx configuration of gradflow's documentation site, built by ``make docs``.

The guides are Markdown (MyST), the notebooks are rendered as committed (with their outputs,
never re-executed here: the test suite runs them), and the API reference comes from the
docstrings (autodoc, Google-style sections through napoleon).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document the checkout's packages, not an installed copy

project = "gradflow"
author = "the gradflow developers"
copyright = "the gradflow developers"  # noqa: A001 (Sphinx's name)

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# MyST: the notebooks are shown with their stored outputs.
nb_execution_mode = "off"
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # "Attributes:" as fields: autodoc documents the members once

html_theme = "alabaster"
html_title = "gradflow"
html_theme_options = {
    "description": "Reverse-mode autodiff for learning backpropagation",
    "fixed_sidebar": True,
}

# The docstrings are plain text with a few reStructuredText habits (STYLE.md): math written
# as |x|, x**2 or func(*inputs), and examples shown as an indented block under a line of
# prose. In reStructuredText |x| is a substitution, *x starts emphasis, name_ is a link and
# an unannounced indented block is an error, so before rendering: escape those characters
# outside ``literals``, and announce each indented block with "::" as a literal block (one
# already announced with "::" is left as it is).
_LITERAL = re.compile(r"(``.*?``)")
_CONTINUED = re.compile(r"^(:|\.\. |[-*+] |\d+\. |>>> )")  # fields, directives, lists
_MARKUP = re.compile(r"(?<!\\)(\||\*(?=\S))|(?<=\w)_(?=\W|$)")


def _escape_plain_text(line: str) -> str:
    parts = _LITERAL.split(line)
    return "".join(p if p.startswith("``") else _MARKUP.sub(r"\\\g<0>", p) for p in parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _plain_text_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    out: list[str] = []
    block = None  # indentation of the paragraph that opened the literal block we are in
    for line in lines:
        if block is not None:
            if not line.strip() or _indent(line) > block:
                out.append(line)
                continue
            block = None
            if out and out[-1].strip():
                out.append("")  # a literal block ends with a blank line
        if line.strip():
            previous = next((x for x in reversed(out) if x.strip()), None)
            if previous is not None and _indent(line) > _indent(previous):
                if previous.rstrip().endswith("::"):
                    block = _indent(previous)
                elif not _CONTINUED.match(previous.lstrip()):
                    block = _indent(previous)
                    out.extend(["", " " * block + "::", ""])
                if block is not None:
                    out.append(line)
                    continue
        out.append(_escape_plain_text(line))
    lines[:] = out


# The notebooks and notebooks/README.md link notebooks as files, for GitHub and Jupyter; here
# they are documents of the site (docs/notebooks is a link to ../notebooks), which MyST cannot
# resolve through the link: make those links document references.
_NOTEBOOK_LINK = re.compile(r"\[([^\[\]`\n]+)\]\(([\w-]+)\.ipynb\)")


def _doc_links(markdown: str) -> str:
    return _NOTEBOOK_LINK.sub(r"{doc}`\1 <\2>`", markdown)


def _notebook_links(app: Any, docname: str, source: list[str]) -> None:
    if not docname.startswith("notebooks/"):
        return
    if not source[0].lstrip().startswith("{"):  # notebooks/README.md
        source[0] = _doc_links(source[0])
        return
    notebook = json.loads(source[0])
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = _doc_links(text)
    source[0] = json.dumps(notebook)


def setup(app: Any) -> None:
    app.connect("source-read", _notebook_links)
    app.connect("autodoc-process-docstring", _plain_text_docstring)
