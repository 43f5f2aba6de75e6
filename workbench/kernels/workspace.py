"""Work arrays kept from one block of replicates to the next.

Simulation runs the same computation on block after block of replicates, each needing arrays of
the same shapes. Allocating them afresh for every block costs more than it seems: glibc returns
large freed blocks to the system, so each new block touches fresh pages (a page fault per 4 KiB),
which costs about as much as the arithmetic itself. Inside :func:`reused_buffers` the kernels and
the draws take their large work arrays from one :class:`Workspace` instead, so the pages are
touched once per run; outside it, :func:`work_array` is plain ``np.empty``. Nothing changes in
the numbers: only where the arrays live.

A work array is valid until the next request for the same name in the same workspace: a function
must not return one (or a view of one) to a caller that keeps it, and two arrays alive at the
same time need different names.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

import numpy as np

__all__ = ["Workspace", "reused_buffers", "work_array", "active_workspace"]

_LOCAL = threading.local()


class Workspace:
    """Named flat buffers, grown when a larger array is asked for, reused otherwise."""

    def __init__(self) -> None:
        self._flat: dict[tuple[str, np.dtype], np.ndarray] = {}

    def array(self, name: str, shape, dtype=np.float64) -> np.ndarray:
        """A C-contiguous array of ``shape`` and ``dtype`` (uninitialised) kept under ``name``."""
        dt = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
        size = math.prod(shape)
        buf = self._flat.get((name, dt))
        if buf is None or buf.size < size:
            buf = np.empty(size, dtype=dt)
            self._flat[(name, dt)] = buf
        return buf[:size].reshape(shape)


def active_workspace() -> Workspace | None:
    """The workspace of the enclosing :func:`reused_buffers` in this thread, if any."""
    return getattr(_LOCAL, "workspace", None)


def work_array(name: str, shape, dtype=np.float64) -> np.ndarray:
    """A work array from the active workspace, or a new ``np.empty`` array outside one."""
    ws = active_workspace()
    if ws is None:
        return np.empty(shape, dtype=dtype)
    return ws.array(name, shape, dtype)


@contextlib.contextmanager
def reused_buffers() -> Iterator[Workspace]:
    """Reuse work arrays between blocks inside the ``with`` (nested uses share one workspace).

    The buffers are released when the outermost ``with`` ends.

    Examples
    --------
    >>> with reused_buffers():
    ...     a = work_array("x", (2, 3))
    ...     b = work_array("x", (1, 3))
    >>> np.shares_memory(a, b)
    True
    >>> np.shares_memory(work_array("x", 3), work_array("x", 3))
    False
    """
    outer = active_workspace()
    ws = outer if outer is not None else Workspace()
    _LOCAL.workspace = ws
    try:
        yield ws
    finally:
        _LOCAL.workspace = outer
