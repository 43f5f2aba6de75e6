"""A power calculator for grant writers: a page of widgets over the closed-form power functions.

:func:`power_calculator` shows the widgets in a Jupyter notebook; ``workbench calculator`` (and
``python3 tasks.py calculator``) serves the same widgets as a local web page with Voila
(:func:`~workbench.calculator.server.serve`). The numbers, texts and files come from the plain
functions of :mod:`workbench.calculator.logic`; the layout is :mod:`workbench.calculator.widgets`.
Importing this package loads neither ipywidgets nor matplotlib.
"""

from __future__ import annotations

from typing import Any

from .logic import (
    PRESETS,
    CalculatorInputs,
    CalculatorResult,
    check_by_simulation,
    design_for,
    design_yaml,
    docx_bytes,
    field_errors,
    figure_bytes,
    markdown_file,
    paragraph,
    power_at,
    power_curve_table,
    preset,
    sensitivity_table,
    solve,
)

__all__ = [
    "PRESETS",
    "CalculatorInputs",
    "CalculatorResult",
    "check_by_simulation",
    "design_for",
    "design_yaml",
    "docx_bytes",
    "field_errors",
    "figure_bytes",
    "markdown_file",
    "paragraph",
    "power_at",
    "power_calculator",
    "power_curve_table",
    "preset",
    "sensitivity_table",
    "solve",
]


def power_calculator(preset: str | None = "T1", *, display: bool = True) -> Any:
    """The power calculator's widgets, shown in the notebook cell (as the Voila page shows them).

    Parameters
    ----------
    preset : {"T1", "T4", "T5", "T7"} or None, default "T1"
        The seed trial whose figures fill the fields first; None keeps the defaults.
    display : bool, default True
        Display the widgets (in a notebook); with False only return them.

    Returns
    -------
    workbench.calculator.widgets.Calculator
        ``.widget`` is the top container, ``.inputs()`` the current entries, ``.result`` the
        current answer.
    """
    from .widgets import Calculator

    calc = Calculator(preset=preset)
    if display:
        from IPython.display import display as show

        show(calc.widget)
    return calc
