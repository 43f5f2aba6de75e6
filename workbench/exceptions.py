"""Exceptions and warnings raised by the workbench.

Every error the library raises on purpose derives from :class:`WorkbenchError`, so callers (and the
command line, which turns them into one readable line and exit code 2) can catch them together.
"""

from __future__ import annotations

__all__ = [
    "WorkbenchError",
    "InvalidParameterError",
    "DataValidationError",
    "ConvergenceError",
    "NotebookRunError",
    "StatisticalWarning",
]


class WorkbenchError(Exception):
    """Root of all errors raised on purpose by the workbench."""


class InvalidParameterError(WorkbenchError, ValueError):
    """A parameter of a design or a function is outside its allowed values."""


class DataValidationError(WorkbenchError, ValueError):
    """Input data (a DataFrame or a CSV file) is missing a column or holds invalid values."""


class ConvergenceError(WorkbenchError, RuntimeError):
    """An iterative fit did not converge; the message says what was tried."""


class NotebookRunError(WorkbenchError, RuntimeError):
    """A notebook failed while executing.

    Attributes
    ----------
    notebook : str
        Path of the partly executed output notebook (kept for inspection).
    cell_index : int or None
        Index of the failing cell.
    ename, evalue : str
        Name and message of the error raised in the cell.
    """

    def __init__(self, notebook, cell_index=None, ename="", evalue="", message=None):
        self.notebook = str(notebook)
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        if message is None:
            where = f"cell {cell_index}" if cell_index is not None else "an unknown cell"
            message = f"notebook {self.notebook} failed in {where}: {ename}: {evalue}"
        super().__init__(message)


class StatisticalWarning(UserWarning):
    """A result is defined but needs care (e.g. an arm with no events, a non-estimable interval)."""
