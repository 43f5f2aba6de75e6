"""Progress bars for long simulations: shown on a terminal, silent elsewhere, never a warning.

``tqdm.auto`` picks the widget bar in any Jupyter kernel and, when ipywidgets is not installed,
warns "IProgress not found" and falls back to the text bar. :func:`tqdm_class` makes the same
choice without the warning: the widget bar only where ipywidgets can draw it.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def show_progress(progress: bool | None) -> bool:
    """Whether to draw a bar: as asked, or for None only when stderr is a terminal (not on CI)."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)()) and not os.environ.get("CI")
    return bool(progress)


def tqdm_class():
    """``tqdm.notebook.tqdm`` in a Jupyter kernel with ipywidgets, ``tqdm.std.tqdm`` otherwise."""
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


class _NoBar:
    """Silent stand-in for a tqdm bar, starting no monitor thread.

    tqdm starts a monitor thread even for a disabled bar, and a process with a second thread can no
    longer fork its workers safely.
    """

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def progress_bar(progress: bool | None, **kwargs):
    """A tqdm bar when :func:`show_progress` says to draw one, else a silent stand-in.

    The bar is also a context manager; the stand-in has the same ``update``/``close`` methods.

    Examples
    --------
    >>> with progress_bar(False, total=3) as bar:
    ...     bar.update(3)
    """
    if not show_progress(progress):
        return _NoBar()
    return tqdm_class()(**kwargs)
