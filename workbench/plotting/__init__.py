"""Plots: ``plot_*(result_or_data, *, ax=None) -> matplotlib Axes``.

Importing this package imports matplotlib; ``import workbench`` alone does not.
One module per topic; this package re-exports their public functions. Every plot uses the house
style of :mod:`workbench.plotting.style` (seaborn's colour-blind-safe palette, per figure, never
matplotlib's global settings); :func:`subplots` makes a house-style figure of several panels.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule; add one line per plot function.
_EXPORTS: dict[str, str] = {
    "plot_km": ".survival",
    "plot_risk_differences": ".rates",
    "plot_rates": ".rates",
    "plot_forest": ".meta",
    "plot_funnel": ".meta",
    "plot_spaghetti": ".continuous",
    "plot_mean_trajectory": ".continuous",
    "plot_boundaries": ".sequential",
    "plot_spending": ".sequential",
    "plot_power_curve": ".power",
    # the house style and its helpers
    "subplots": ".style",
    "house_style": ".style",
    "palette": ".style",
    "natural_ticks": ".survival",
    "design_type_name": ".sequential",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'workbench.plotting' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
