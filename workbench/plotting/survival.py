"""Kaplan-Meier plots with confidence bands, censoring marks and a number-at-risk table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.survival import KaplanMeierResult, SurvivalAnalysis, kaplan_meier
from ..exceptions import InvalidParameterError

__all__ = ["plot_km"]


def plot_km(data, *, ax=None, ci: bool = True, censor_marks: bool = True,
            risk_table: bool = True, times=None, time: str | None = None,
            event: str | None = None, group: str | None = None, conf_type: str = "log-log",
            conf_level: float = 0.95, colors=None, xlabel: str = "Time",
            ylabel: str = "Survival probability", title: str | None = None,
            legend: bool = True):
    """Kaplan-Meier step curves, one per group, with the number at risk under the axis.

    Parameters
    ----------
    data : KaplanMeierResult, SurvivalAnalysis or DataFrame
        A fitted :func:`~workbench.analysis.survival.kaplan_meier` result (or the result of
        :func:`~workbench.analysis.survival.analyze_survival`), or patient-level data, in which
        case ``time``, ``event`` and optionally ``group`` name its columns.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when None.
    ci : bool, default True
        Shade the pointwise confidence band (the result's ``conf_type`` and ``conf_level``).
    censor_marks : bool, default True
        Tick marks at censoring times.
    risk_table : bool, default True
        Numbers at risk at ``times`` printed under the x axis, one row per group.
    times : sequence of float, optional
        Times of the risk table (also used as x ticks); default the x ticks matplotlib chooses.
    time, event, group : str, optional
        Column names when data are passed.
    conf_type, conf_level :
        Passed to :func:`kaplan_meier` when data are passed.
    colors : sequence of colours, optional
        One per group; default the Axes colour cycle.
    xlabel, ylabel, title : str
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per group (the step curves); bands and marks are collections.

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
    """
    import matplotlib.pyplot as plt

    if isinstance(data, SurvivalAnalysis):
        km = data.km
    elif isinstance(data, KaplanMeierResult):
        km = data
    elif isinstance(data, pd.DataFrame):
        if time is None or event is None:
            raise InvalidParameterError(
                "`time` and `event` must name columns when plot_km is given a DataFrame; "
                f"got time={time!r}, event={event!r}.")
        km = kaplan_meier(data, time=time, event=event, group=group,
                          conf_type=conf_type, conf_level=conf_level)
    else:
        raise InvalidParameterError(
            "`data` must be a KaplanMeierResult, a SurvivalAnalysis or a DataFrame; "
            f"got {type(data).__name__}.")

    created = ax is None
    if created:
        fig, ax = plt.subplots(figsize=(7, 4.5 + (0.25 * len(km.groups) if risk_table else 0)))
    if colors is None:
        cycle = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0", "C1", "C2"])
        colors = [cycle[i % len(cycle)] for i in range(len(km.groups))]
    elif len(colors) < len(km.groups):
        raise InvalidParameterError(
            f"`colors` must give one colour per group ({len(km.groups)}); got {len(colors)}.")

    curve = km.curve
    tmax = float(curve["time"].max())
    for lv, color in zip(km.groups, colors, strict=False):
        c = curve[curve["group"] == lv]
        t = c["time"].to_numpy(float)
        s = c["survival"].to_numpy(float)
        label = lv if lv != "all" or len(km.groups) > 1 else None
        ax.step(t, s, where="post", color=color, label=label, linewidth=1.6)
        if ci:
            lo = c["ci_lower"].to_numpy(float)
            hi = c["ci_upper"].to_numpy(float)
            # limits that do not exist (S = 1 on the log-log scale, S = 0) collapse onto S
            lo = np.where(np.isnan(lo), s, lo)
            hi = np.where(np.isnan(hi), s, hi)
            ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.18, linewidth=0)
        if censor_marks:
            cens = (c["n_censor"].to_numpy(float) > 0)
            if cens.any():
                ax.scatter(t[cens], s[cens], marker="|", s=60, color=color, linewidths=1.2,
                           zorder=3)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, tmax * 1.02 if tmax > 0 else 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend and len(km.groups) > 1:
        ax.legend(title=None, frameon=False, loc="best")

    if risk_table:
        if times is None:
            lo_x, hi_x = ax.get_xlim()
            ticks = [x for x in ax.get_xticks() if lo_x <= x <= hi_x and x >= 0]
        else:
            ticks = sorted(float(x) for x in times)
            ax.set_xticks(ticks)
        table = km.at(ticks)
        ax.annotate("Number at risk", xy=(0, 0), xycoords="axes fraction", xytext=(0, -42),
                    textcoords="offset points", ha="right", va="top", fontsize=8,
                    fontweight="bold", annotation_clip=False)
        for row, (lv, color) in enumerate(zip(km.groups, colors, strict=False)):
            dy = -54 - 11 * row
            ax.annotate(lv, xy=(0, 0), xycoords="axes fraction", xytext=(-16, dy),
                        textcoords="offset points", ha="right", va="top", fontsize=8,
                        color=color, annotation_clip=False)
            sub = table[table["group"] == lv]
            for t, n in zip(sub["time"], sub["n_risk"], strict=True):
                ax.annotate(f"{int(n)}", xy=(t, 0), xycoords=("data", "axes fraction"),
                            xytext=(0, dy), textcoords="offset points", ha="center", va="top",
                            fontsize=8, annotation_clip=False)
        if created:
            # room on the left for the group names of the risk table (about 5 points a character
            # at font size 8, after the 16-point gap), at least the usual 0.15
            width_pt = ax.figure.get_figwidth() * 72
            longest = max(len(str(lv)) for lv in km.groups)
            left = min(0.45, max(0.15, (16 + 5.0 * longest + 8) / width_pt))
            ax.figure.subplots_adjust(bottom=min(0.45, 0.2 + 0.05 * len(km.groups)),
                                      left=left)
    return ax
