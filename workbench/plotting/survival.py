"""Kaplan-Meier plots with confidence bands, censoring marks and a number-at-risk table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis.survival import KaplanMeierResult, SurvivalAnalysis, kaplan_meier
from ..exceptions import InvalidParameterError
from .style import arm_colors, arm_linestyles, format_p_value, new_axes, styled

__all__ = ["natural_ticks", "plot_km"]

#: tick steps tried in order: quarters, half-years, years and two years when time is in months
_STEPS = (3.0, 6.0, 12.0, 24.0)
#: at most this many intervals between ticks
_MAX_INTERVALS = 6


def natural_ticks(horizon: float) -> list[float]:
    """Ticks from 0 to ``horizon`` at its natural unit: every 3, 6, 12 or 24 time units.

    The step is the smallest of 3, 6, 12 and 24 that needs at most six intervals (every 12 months
    for 48 months of follow-up, every 6 for 24 or 36, every 3 for 12); a horizon under 6 or over
    144 units gets matplotlib's round steps (1, 2, 5, 10 and their multiples) instead.

    Parameters
    ----------
    horizon : float > 0
        The last time of the axis.

    Returns
    -------
    list of float
        Increasing ticks, the first 0, none after ``horizon``.

    Examples
    --------
    >>> natural_ticks(48)
    [0.0, 12.0, 24.0, 36.0, 48.0]
    >>> natural_ticks(72), natural_ticks(30)
    ([0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 72.0], [0.0, 6.0, 12.0, 18.0, 24.0, 30.0])
    >>> natural_ticks(4)
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    horizon = float(horizon)
    if not math.isfinite(horizon) or horizon <= 0:
        raise InvalidParameterError(f"`horizon` must be a positive number; got {horizon!r}.")
    step = (next((s for s in _STEPS if horizon / s <= _MAX_INTERVALS + 1e-9), None)
            if horizon >= 2 * _STEPS[0] else None)
    if step is None:
        from matplotlib.ticker import MaxNLocator

        ticks = MaxNLocator(nbins=_MAX_INTERVALS, steps=[1, 2, 2.5, 5, 10]).tick_values(0, horizon)
        return [float(t) for t in ticks if -1e-9 <= t <= horizon * (1 + 1e-9)]
    n = int(math.floor(horizon / step + 1e-9))
    return [float(step * i) for i in range(n + 1)]


def _km_of(data, time, event, group, conf_type, conf_level):
    if isinstance(data, SurvivalAnalysis):
        return data.km
    if isinstance(data, KaplanMeierResult):
        return data
    if isinstance(data, pd.DataFrame):
        if time is None or event is None:
            raise InvalidParameterError(
                "`time` and `event` must name columns when plot_km is given a DataFrame; "
                f"got time={time!r}, event={event!r}.")
        return kaplan_meier(data, time=time, event=event, group=group,
                            conf_type=conf_type, conf_level=conf_level)
    raise InvalidParameterError(
        "`data` must be a KaplanMeierResult, a SurvivalAnalysis or a DataFrame; "
        f"got {type(data).__name__}.")


def _annotation_text(data, annotate) -> str | None:
    """The text of the p-value / hazard-ratio box, or None."""
    if annotate is None or annotate is False:
        return None
    if isinstance(annotate, str):
        return annotate
    if annotate is not True:
        raise InvalidParameterError(
            f"`annotate` must be True, False or a text; got {annotate!r}.")
    if not isinstance(data, SurvivalAnalysis):
        raise InvalidParameterError(
            "`annotate`=True needs a SurvivalAnalysis (analyze_survival), which holds the log-rank "
            f"test and the Cox model; got {type(data).__name__}. Pass the text instead.")
    lines = [f"Log-rank {format_p_value(data.logrank.p_value)}"]
    cox = data.cox
    level = f"{cox.conf_level:.0%}"
    many = len(cox.levels) > 1
    for lv, hr, lo, hi in zip(cox.levels, cox.hazard_ratio, cox.coefficients["ci_lower"],
                              cox.coefficients["ci_upper"], strict=True):
        who = f" {lv} vs {cox.reference}" if many else ""
        lines.append(f"HR{who} {hr:.2f} ({level} CI {lo:.2f} to {hi:.2f})")
    return "\n".join(lines)


@styled
def plot_km(data, *, ax=None, ci: bool = True, censor_marks: bool = True,
            risk_table: bool = True, times=None, time: str | None = None,
            event: str | None = None, group: str | None = None, conf_type: str = "log-log",
            conf_level: float = 0.95, colors=None, xlabel: str = "Time",
            ylabel: str = "Survival probability", title: str | None = None,
            legend: bool = True, horizon: float | None = None, annotate: bool | str = False,
            linestyles=None):
    """Kaplan-Meier step curves, one per group, with the number at risk under the axis.

    The x ticks and the risk table use the same times: ``times`` when given, otherwise the
    horizon's natural unit (:func:`natural_ticks`: every 12 months for 48 months of follow-up).

    Parameters
    ----------
    data : KaplanMeierResult, SurvivalAnalysis or DataFrame
        A fitted :func:`~workbench.analysis.survival.kaplan_meier` result (or the result of
        :func:`~workbench.analysis.survival.analyze_survival`), or patient-level data, in which
        case ``time``, ``event`` and optionally ``group`` name its columns.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure (house style, constrained layout) is created when None.
    ci : bool, default True
        Shade the pointwise confidence band (the result's ``conf_type`` and ``conf_level``);
        lighter, with its edges drawn in the curve's line style, from three groups on.
    censor_marks : bool, default True
        Tick marks at censoring times.
    risk_table : bool, default True
        Numbers at risk at the x ticks printed under the axis label, one row per group.
    times : sequence of float, optional
        The x ticks and the times of the risk table; default :func:`natural_ticks` of the
        horizon.
    time, event, group : str, optional
        Column names when data are passed.
    conf_type, conf_level :
        Passed to :func:`kaplan_meier` when data are passed.
    colors : sequence of colours, optional
        One per group; default the house palette (seaborn's colour-blind-safe ``"colorblind"``).
    xlabel, ylabel, title : str
        Name the time unit in ``xlabel`` (``"Months since randomisation"``).
    legend : bool, default True
        A legend of the groups, where it covers no curve.
    horizon : float, optional
        Last time of the x axis; default the last time of the curves.
    annotate : bool or str, default False
        A box with the log-rank p-value and the Cox hazard ratio with its interval (``True``:
        needs a :class:`~workbench.analysis.survival.SurvivalAnalysis`), or a text of your own.
    linestyles : sequence of line styles, optional
        One per group; default solid for one or two groups, solid, dashed, dash-dotted... from
        three on (so that the curves are told apart without colour).

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per group (the step curves); bands and marks are collections; the risk
        table and the annotation are ``ax.texts``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [2, 3, 3, 5, 8, 9, 4, 6, 7, 10],
    ...                    "e": [1, 1, 0, 1, 0, 1, 0, 1, 0, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 4})
    >>> ax = plot_km(df, time="t", event="e", group="arm")
    >>> len(ax.get_lines())
    2
    >>> [float(t) for t in ax.get_xticks()]
    [0.0, 3.0, 6.0, 9.0]
    """
    km = _km_of(data, time, event, group, conf_type, conf_level)
    note = _annotation_text(data, annotate)
    k = len(km.groups)
    if colors is None:
        colors = arm_colors(k)
    elif len(colors) < k:
        raise InvalidParameterError(
            f"`colors` must give one colour per group ({k}); got {len(colors)}.")
    if linestyles is None:
        linestyles = arm_linestyles(k)
    elif len(linestyles) < k:
        raise InvalidParameterError(
            f"`linestyles` must give one line style per group ({k}); got {len(linestyles)}.")
    ax = new_axes(ax, (7.0, 4.6 + (0.2 * (k + 1) if risk_table else 0)))

    curve = km.curve
    tmax = float(curve["time"].max())
    if horizon is not None:
        if not isinstance(horizon, int | float) or not horizon > 0:
            raise InvalidParameterError(f"`horizon` must be a positive number; got {horizon!r}.")
        tmax = float(horizon)
    if times is None:
        ticks = natural_ticks(tmax) if tmax > 0 else [0.0]
    else:
        ticks = sorted(float(x) for x in times)
    band_alpha = 0.2 if k <= 2 else 0.1
    early = []
    for lv, color, ls in zip(km.groups, colors, linestyles, strict=False):
        c = curve[curve["group"] == lv]
        t = c["time"].to_numpy(float)
        s = c["survival"].to_numpy(float)
        label = lv if lv != "all" or k > 1 else None
        ax.step(t, s, where="post", color=color, label=label, linewidth=1.8, linestyle=ls)
        early.append(float(np.min(s[t <= 0.45 * tmax])) if np.any(t <= 0.45 * tmax) else 1.0)
        if ci:
            lo = c["ci_lower"].to_numpy(float)
            hi = c["ci_upper"].to_numpy(float)
            # limits that do not exist (S = 1 on the log-log scale, S = 0) collapse onto S
            lo = np.where(np.isnan(lo), s, lo)
            hi = np.where(np.isnan(hi), s, hi)
            # from three groups on, the band's edges in the curve's line style
            edges = ({"edgecolor": color, "linestyle": ls, "linewidth": 0.6} if k >= 3
                     else {"linewidth": 0})
            ax.fill_between(t, lo, hi, step="post", facecolor=color, alpha=band_alpha, **edges)
        if censor_marks:
            cens = (c["n_censor"].to_numpy(float) > 0)
            if cens.any():
                ax.scatter(t[cens], s[cens], marker="|", s=50, color=color, linewidths=1.1,
                           zorder=3)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, tmax * 1.02 if tmax > 0 else 1)
    ax.set_xticks(ticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if note is not None:
        # lower left while the curves stay high early on, else upper right
        low = min(early) > 0.4
        ax.text(0.02 if low else 0.98, 0.03 if low else 0.97, note, transform=ax.transAxes,
                ha="left" if low else "right", va="bottom" if low else "top",
                fontsize="small", linespacing=1.4,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.8"})
    if legend and k > 1:
        ax.legend(title=None, loc="best", handlelength=2.6)

    if risk_table:
        _risk_table(ax, km, ticks, colors)
    return ax


def _risk_table(ax, km, ticks, colors) -> None:
    """Numbers at risk under the x axis label, aligned with the x ticks."""
    import matplotlib as mpl

    lo_x, hi_x = ax.get_xlim()
    shown = [t for t in ticks if lo_x - 1e-9 <= t <= hi_x + 1e-9]
    table = km.at(shown) if shown else None
    size = float(mpl.rcParams["xtick.labelsize"]) if not isinstance(
        mpl.rcParams["xtick.labelsize"], str) else 9.0
    row = 1.45 * size
    # anchored to the bottom of the x axis label: y = 0 of its box, x in data or axes units;
    # the group names end left of the widest number centred on a tick at the axis' left end
    under_label = ax.xaxis.label
    digits = len(str(int(table["n_risk"].max()))) if table is not None and len(table) else 1
    gap = -(0.3 * size * digits + 0.6 * size)
    ax.annotate("Number at risk", xy=(0, 0), xycoords=("axes fraction", under_label),
                xytext=(gap, -0.8 * row), textcoords="offset points", ha="right", va="top",
                fontsize=size, fontweight="bold", annotation_clip=False)
    for i, (lv, color) in enumerate(zip(km.groups, colors, strict=False)):
        dy = -0.8 * row - (i + 1) * row
        ax.annotate(str(lv), xy=(0, 0), xycoords=("axes fraction", under_label),
                    xytext=(gap, dy), textcoords="offset points", ha="right", va="top",
                    fontsize=size, color=color, fontweight="bold", annotation_clip=False)
        if table is None:
            continue
        sub = table[table["group"] == lv]
        for t, n in zip(sub["time"], sub["n_risk"], strict=True):
            ax.annotate(f"{int(n)}", xy=(t, 0), xycoords=("data", under_label),
                        xytext=(0, dy), textcoords="offset points", ha="center", va="top",
                        fontsize=size, annotation_clip=False)
