"""nn.fit's progress bar: one clean line where the output is not a terminal, no warning."""

import warnings

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
