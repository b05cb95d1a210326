"""The documentation site builds with Sphinx, every warning an error (as ``make docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_without_warnings(tmp_path):
    # The test extra installs both (make test); a bare environment (make test-matrix) skips.
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    pytest.importorskip("myst_nb", reason="the docs extra is not installed")
    html = tmp_path / "html"
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(html)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, f"Sphinx failed:\n{run.stderr[-5000:]}"

    # The guides, every notebook, and the reference generated from the docstrings.
    for page in ("index", "quickstart", "micrograd", "diagrams", "tensor"):
        assert (html / f"{page}.html").is_file(), page
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (html / "notebooks" / f"{notebook.stem}.html").is_file(), notebook.name
    reference = (html / "api" / "autograd.html").read_text(encoding="utf-8")
    assert 'id="autograd.Value.backward"' in reference
    assert 'id="nn.fit"' in (html / "api" / "nn.html").read_text(encoding="utf-8")
    assert 'id="viz.draw"' in (html / "api" / "viz.html").read_text(encoding="utf-8")
    # The micrograd table is the README's, included.
    assert "micrograd" in (html / "micrograd.html").read_text(encoding="utf-8")
