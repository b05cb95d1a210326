"""nn.fit's progress bar: one clean line where the output is not a terminal, no warning."""

import warnings

import pytest

import nn


def test_fit_prints_one_line_on_stderr_when_not_a_terminal(capsys):
    X, y = nn.data.xor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm.auto's "IProgress not found" would fail here
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=20)
    out, err = capsys.readouterr()
    assert out == ""
    assert "\r" not in err
    (line,) = err.splitlines()
    assert line.startswith("fit: 100%|") and "20/20" in line and "loss=" in line


def test_progress_false_prints_nothing(capsys):
    X, y = nn.data.xor()
    nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=5, progress=False)
    assert capsys.readouterr() == ("", "")


class _FakeDisplay:
    """IPython's display() with display_id=True: records what each output finally shows."""

    def __init__(self):
        self.outputs = []

    def __call__(self, obj, raw=False, display_id=False):
        self.outputs.append(obj)
        index = len(self.outputs) - 1
        outputs = self.outputs

        class Handle:
            def update(self, obj, raw=False):
                outputs[index] = obj

        return Handle()


def test_in_jupyter_without_ipywidgets_one_output_updated_in_place(monkeypatch, capsys):
    pytest.importorskip("IPython", reason="IPython comes with the test extra")
    import IPython.display

    from nn import progress

    shown = _FakeDisplay()
    monkeypatch.setattr(IPython.display, "display", shown)
    monkeypatch.setattr(progress, "_in_jupyter", lambda: True)
    monkeypatch.setattr(progress, "_has_widgets", lambda: False)
    X, y = nn.data.xor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=20)
    assert capsys.readouterr() == ("", "")  # nothing on stdout or stderr: one display
    (output,) = shown.outputs
    line = output["text/plain"]
    assert line.startswith("fit: 100%|") and "20/20" in line and "\r" not in line


def test_in_jupyter_with_ipywidgets_a_widget_that_ends_as_one_line(monkeypatch, capsys):
    pytest.importorskip("ipywidgets", reason="ipywidgets comes with the notebooks extra")
    import IPython.display

    from nn import progress

    shown = _FakeDisplay()
    monkeypatch.setattr(IPython.display, "display", shown)
    monkeypatch.setattr(progress, "_in_jupyter", lambda: True)
    X, y = nn.data.xor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=20)
    assert capsys.readouterr() == ("", "")
    (output,) = shown.outputs  # the widget, replaced by its last line at the end
    assert output["text/plain"].startswith("fit: 100%|") and "20/20" in output["text/plain"]


def test_committed_notebooks_store_no_progress_bar_fragments():
    # A text bar redrawn with "\r" is stored as one fragment per redraw (and shows as many
    # red lines once exported); nn.fit stores one line instead, and no IProgress warning.
    import json
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            for output in cell.get("outputs", []):
                if output["output_type"] == "stream":
                    text = "".join(output["text"])
                    assert "\r" not in text, f"{path.name}: a progress bar stored as fragments"
                    assert "IProgress" not in text, f"{path.name}: tqdm's IProgress warning"
