"""Power curves: power against sample size or effect, with Monte Carlo bands and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, InvalidParameterError
from .style import arm_colors, new_axes, place_legend, styled

__all__ = ["plot_power_curve"]

#: columns that can be on the x axis or distinguish curves, in order of preference
_AXES = ("n_total", "hazard_ratio", "p1", "difference", "effect", "events", "dropout",
         "allocation_ratio", "alpha")
_LABELS = {
    "n_total": "Total sample size (patients)",
    "hazard_ratio": "Hazard ratio",
    "p1": "Rate in arm 1",
    "difference": "Difference",
    "effect": "Effect",
    "events": "Number of events",
    "dropout": "Drop-out (probability)",
    "allocation_ratio": "Allocation ratio",
    "alpha": "Significance level (alpha)",
}


def _varying(df: pd.DataFrame, exclude=()) -> list[str]:
    return [c for c in _AXES if c in df.columns and c not in exclude and df[c].nunique() > 1]


@styled
def plot_power_curve(data: pd.DataFrame, *, ax=None, x: str | None = None, hue: str | None = None,
                     target: float | None = None, closed_form: bool = True, band: bool = True,
                     title: str | None = None, legend: bool = True):
    """Power against sample size (or effect), one curve per value of another column.

    Parameters
    ----------
    data : pandas.DataFrame
        Tidy power results with a ``power`` column, e.g. from
        :func:`workbench.power.simulation.power_curve` (simulated, with ``ci_lower``/``ci_upper``
        and ``power_closed_form``) or a table of closed-form powers.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when None.
    x : str, optional
        Column on the x axis; default ``n_total`` if it varies, else the first varying effect
        column (``hazard_ratio``, ``p1``, ``difference``, ...).
    hue : str, optional
        Column whose values get separate curves; default the next varying column.
    target : float in (0, 1), optional
        Draw the target power as a horizontal line.
    closed_form : bool, default True
        Dashed closed-form curve where ``power_closed_form`` is present.
    band : bool, default True
        Shade the Monte Carlo interval (``ci_lower`` to ``ci_upper``) where present.
    title : str, optional
    legend : bool, default True
        In a corner free of curves, else right of the axes.

    Returns
    -------
    matplotlib.axes.Axes
        One solid ``Line2D`` per curve (simulated or given power), plus dashed closed-form lines.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> data = pd.DataFrame({"n_total": [100, 150, 200] * 2, "hazard_ratio": [0.5] * 3 + [0.7] * 3,
    ...                    "power": [0.65, 0.81, 0.9, 0.25, 0.34, 0.43]})
    >>> ax = plot_power_curve(data, target=0.8)
    >>> len(ax.get_lines())   # two curves and the target line
    3
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    if "power" not in data.columns:
        raise DataValidationError(
            f"column 'power' is missing; the data has columns {list(data.columns)}."
        )
    if len(data) == 0:
        raise DataValidationError("`data` is empty: it has no rows.")
    if x is None:
        varying = _varying(data)
        x = varying[0] if varying else next((c for c in _AXES if c in data.columns), None)
        if x is None:
            raise DataValidationError(
                f"no column to put on the x axis; give `x` (one of {list(data.columns)})."
            )
    elif x not in data.columns:
        raise InvalidParameterError(
            f"`x` must be a column of `data` {list(data.columns)}; got {x!r}.")
    if hue is None:
        rest = _varying(data, exclude=(x,))
        hue = rest[0] if rest else None
    elif hue not in data.columns:
        raise InvalidParameterError(
            f"`hue` must be a column of `data` {list(data.columns)}; got {hue!r}."
        )
    if target is not None and not 0 < target < 1:
        raise InvalidParameterError(f"`target` must be in (0, 1); got {target!r}.")

    ax = new_axes(ax, (6.4, 4.2))
    groups = [(None, data)] if hue is None else list(data.groupby(hue, sort=True))
    colors = arm_colors(len(groups))
    for i, (key, sub) in enumerate(groups):
        sub = sub.sort_values(x)
        color = colors[i % len(colors)]
        label = None if hue is None else f"{_LABELS.get(hue, hue)} {key:g}" if isinstance(
            key, int | float | np.number) else f"{hue} {key}"
        xs = sub[x].to_numpy(dtype=float)
        ax.plot(xs, sub["power"].to_numpy(dtype=float), marker="o", ms=3.5, color=color,
                label=label)
        if band and {"ci_lower", "ci_upper"} <= set(sub.columns):
            ax.fill_between(xs, sub["ci_lower"].to_numpy(dtype=float),
                            sub["ci_upper"].to_numpy(dtype=float), color=color, alpha=0.18,
                            linewidth=0)
        has_cf = "power_closed_form" in sub.columns and sub["power_closed_form"].notna().any()
        if closed_form and has_cf:
            ax.plot(xs, sub["power_closed_form"].to_numpy(dtype=float), linestyle="--",
                    color=color, linewidth=1.0, label=None)
    if target is not None:
        ax.axhline(target, color="0.4", linestyle=":", linewidth=1.0)
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel("Power (probability of rejecting H0)")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title)
    if legend and (hue is not None or "power_closed_form" in data.columns):
        handles, labels = ax.get_legend_handles_labels()
        if closed_form and "power_closed_form" in data.columns:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=1.0))
            labels.append("closed form")
            if {"ci_lower", "ci_upper"} <= set(data.columns):
                handles.insert(0, Line2D([], [], color="0.3", marker="o", ms=3.5))
                labels.insert(0, "simulated (95% band)")
        if handles:
            place_legend(ax, handles=handles, labels=labels, fontsize="small")
    return ax
