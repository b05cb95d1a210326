"""The progress bar of ``nn.fit``, drawn the way the output at hand can show it.

- In a terminal: tqdm's bar, redrawn in place on stderr.
- In Jupyter with ipywidgets: one widget bar while training; when training ends it becomes one
  line of text, so a saved notebook stores that line and not a widget it cannot show.
- In Jupyter without ipywidgets: the same line of text, updated in place (and no "IProgress
  not found" warning, which is what ``tqdm.auto`` prints there).
- Anywhere else (a CI log, a file, a pipe): one line on stderr when training ends, instead of
  one carriage-return redraw per update.

The line reads like tqdm's, because tqdm writes it:
``fit: 100%|██████████| 30/30 [00:01<00:00, 25.1epoch/s, loss=0.0123, acc=0.991]``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

from tqdm import tqdm

__all__ = ["ProgressBar"]


class ProgressBar:
    """A bar of ``total`` steps: ``update(n)``, ``set_postfix(dict)``, ``close()``."""

    def __init__(self, total: int, desc: str = "fit", unit: str = "epoch") -> None:
        settings: dict[str, Any] = {"total": total, "desc": desc, "unit": unit}
        self._widget_display: Any = None  # the IPython display handle of a widget bar
        self._log = False  # True: print the final line on stderr at close()
        if _in_jupyter():
            self._bar: Any = _widget_bar(settings) if _has_widgets() else None
            if self._bar is not None:
                from IPython.display import display

                self._widget_display = display(self._bar.container, display_id=True)
            else:
                self._bar = tqdm(**settings, file=_JupyterLine(), ascii=False)
        elif _is_terminal(sys.stderr):
            self._bar = tqdm(**settings)
        else:
            self._bar = tqdm(**settings, file=_Discard(), ascii=False)
            self._log = True

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def set_postfix(self, postfix: dict[str, str], refresh: bool = True) -> None:
        self._bar.set_postfix(postfix, refresh=refresh)

    def close(self) -> None:
        self._bar.close()
        if self._widget_display is not None:
            self._widget_display.update({"text/plain": self.line()}, raw=True)
            _close_widgets(self._bar.container)  # nothing shows them now: no state to save
        elif self._log:
            print(self.line(), file=sys.stderr, flush=True)

    def line(self) -> str:
        """The bar as one line of text, as tqdm formats it."""
        return tqdm.format_meter(**{**self._bar.format_dict, "ascii": False, "ncols": None})


def _in_jupyter() -> bool:
    """True inside a Jupyter kernel that updates outputs in place (JupyterLab, Notebook,
    VS Code, Colab, nbclient); False in a terminal IPython, qtconsole or Spyder."""
    zmqshell, ipython = sys.modules.get("ipykernel.zmqshell"), sys.modules.get("IPython")
    if zmqshell is None or ipython is None:
        return False
    if any(name == "QT_API" or name.startswith("SPYDER") for name in os.environ):
        return False  # qtconsole and Spyder: no in-place updates of an output
    return isinstance(ipython.get_ipython(), zmqshell.ZMQInteractiveShell)


def _widget_bar(settings: dict[str, Any]) -> Any:
    """tqdm's widget bar, not yet displayed; None if ipywidgets cannot make one."""
    try:
        from tqdm.notebook import tqdm as widget_tqdm

        return widget_tqdm(**settings, display=False)
    except ImportError:  # an ipywidgets too old or broken for tqdm: the text line instead
        return None


def _close_widgets(widget: Any) -> None:
    """Close a widget, its children and their layout and style models."""
    for child in getattr(widget, "children", ()):
        _close_widgets(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None:
            part.close()
    widget.close()


def _has_widgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class _Discard:
    """A file for tqdm that keeps nothing: the line is printed once, at close()."""

    encoding = "utf-8"

    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


class _JupyterLine:
    """A file for tqdm that shows its latest line as one notebook output, updated in place.

    tqdm redraws a text bar by writing "\\r" and the new line; here each redraw replaces the
    output's text instead, so the notebook keeps one line, not one fragment per redraw.
    """

    encoding = "utf-8"

    def __init__(self) -> None:
        self._handle: Any = None

    def write(self, text: str) -> None:
        from IPython.display import display

        line = text.strip()
        if not line:
            return
        if self._handle is None:
            self._handle = display({"text/plain": line}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": line}, raw=True)

    def flush(self) -> None:
        pass
