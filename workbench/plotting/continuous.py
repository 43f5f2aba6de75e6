"""Plots of repeated measurements: individual trajectories and mean trajectories by arm.

The axis labels default to the column names; name the scale in ``ylabel``
(``"HAM-D-17 total score"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_columns, check_dataframe, check_probability, label_text
from ..exceptions import InvalidParameterError
from .style import arm_colors, new_axes, place_legend, styled

__all__ = ["plot_spaghetti", "plot_mean_trajectory"]


def _groups(data, group):
    from .._validation import sorted_levels

    labels = data[group].map(label_text)
    return labels, sorted_levels(labels)


@styled
def plot_spaghetti(data: pd.DataFrame, *, outcome: str = "hamd", visit: str = "week",
                   subject: str = "subject", group: str = "arm", ax=None,
                   max_subjects: int | None = None, show_mean: bool = True,
                   line_alpha: float = 0.3, colors=None, xlabel: str | None = None,
                   ylabel: str | None = None, title: str | None = None, legend: bool = True):
    """One thin line per patient across visits, coloured by arm, with the arm means on top.

    Parameters
    ----------
    data : DataFrame
        Long data, one row per subject and visit (missing outcomes are skipped: a patient's line
        stops at drop-out).
    outcome, visit, subject, group : str
        Column names.
    ax : matplotlib Axes, optional
    max_subjects : int, optional
        Draw at most this many patients per arm (the first ones), to keep large trials readable.
    show_mean : bool, default True
        Thick line of the observed mean per arm and visit.
    line_alpha : float in (0, 1], default 0.3
    colors : sequence of colours, optional
        One per arm (sorted arm labels); default the house palette.
    xlabel, ylabel : str, optional
        Default the ``visit`` column's name capitalised (``"Week"``) and the ``outcome``
        column's name; name the scale and its unit in ``ylabel`` (``"HAM-D-17 total score"``).
    title : str, optional
    legend : bool, default True
        Placed in a corner of the axes free of lines, else right of the axes.

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per drawn patient, then one per arm mean. Its tick labels are shown even
        on axes that share an axis with another panel.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_trial
    >>> df = simulate_trial(load_design("t7"), rng=1)
    >>> ax = plot_spaghetti(df)
    >>> len(ax.get_lines())   # 40 patients + 2 means
    42
    """
    check_dataframe(data)
    check_columns(data, outcome, visit, subject, group)
    line_alpha = check_probability("line_alpha", line_alpha, closed=True)
    ax = new_axes(ax, (6.5, 4.2))
    labels, levels = _groups(data, group)
    if colors is None:
        colors = arm_colors(len(levels))
    d = data.assign(_g=labels).dropna(subset=[outcome]).sort_values([subject, visit])
    for i, lv in enumerate(levels):
        col = colors[i % len(colors)]
        sub = d[d["_g"] == lv]
        ids = pd.unique(sub[subject])
        if max_subjects is not None:
            ids = ids[:max_subjects]
        for s in ids:
            one = sub[sub[subject] == s]
            ax.plot(one[visit], one[outcome], color=col, alpha=line_alpha, linewidth=0.8)
    if show_mean:
        for i, lv in enumerate(levels):
            m = d[d["_g"] == lv].groupby(visit)[outcome].mean()
            ax.plot(m.index, m.to_numpy(), color=colors[i % len(colors)], linewidth=2.8,
                    marker="o", label=f"{lv} (mean)")
    _labels(ax, xlabel, ylabel, visit, outcome, title)
    if legend and show_mean:
        place_legend(ax, fontsize="small")
    return ax


def _labels(ax, xlabel, ylabel, visit, outcome, title, mean: bool = False) -> None:
    ax.set_xlabel(str(visit).capitalize() if xlabel is None else xlabel)
    ax.set_ylabel((f"Mean {outcome}" if mean else str(outcome)) if ylabel is None else ylabel)
    if title:
        ax.set_title(title)
    # panels made with sharex/sharey hide the inner tick labels: every panel keeps its own
    ax.tick_params(labelleft=True, labelbottom=True)


@styled
def plot_mean_trajectory(data: pd.DataFrame, *, outcome: str = "hamd", visit: str = "week",
                         group: str = "arm", ax=None, conf_level: float = 0.95, design=None,
                         dodge: float | None = None, colors=None, xlabel: str | None = None,
                         ylabel: str | None = None, title: str | None = None,
                         legend: bool = True):
    """Observed mean score by arm and visit with t confidence intervals.

    Parameters
    ----------
    data : DataFrame
        Long data; missing outcomes are left out (the means are of the patients seen at each
        visit, so after informative drop-out they are biased: compare with the MMRM).
    outcome, visit, group : str
    ax : matplotlib Axes, optional
    conf_level : float in (0, 1), default 0.95
    design : ContinuousDesign, optional
        Draw the design's mean trajectories as dashed lines (arm names must match).
    dodge : float, optional
        Horizontal shift between arms so the intervals do not overlap (default 1% of the range).
    colors : sequence of colours, optional
        One per arm (sorted arm labels); default the house palette.
    xlabel, ylabel : str, optional
        Default the ``visit`` column's name capitalised (``"Week"``) and ``"Mean <outcome>"``;
        name the scale in ``ylabel`` (``"Mean HAM-D-17 total score"``).
    title : str, optional
    legend : bool, default True
        Placed in a corner of the axes free of lines, else right of the axes.

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per arm (plus one per arm for the design), error bars as containers. Its
        tick labels are shown even on axes that share an axis with another panel.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_trial
    >>> design = load_design("t8")
    >>> ax = plot_mean_trajectory(simulate_trial(design, rng=1), design=design)
    >>> len(ax.containers), len(ax.get_lines()) >= 4
    (2, True)
    """
    check_dataframe(data)
    check_columns(data, outcome, visit, group)
    conf_level = check_probability("conf_level", conf_level)
    ax = new_axes(ax, (6.5, 4.2))
    labels, levels = _groups(data, group)
    if colors is None:
        colors = arm_colors(len(levels))
    d = data.assign(_g=labels).dropna(subset=[outcome])
    weeks = np.sort(pd.to_numeric(d[visit]).unique())
    span = float(weeks.max() - weeks.min()) or 1.0
    dodge = 0.01 * span if dodge is None else float(dodge)
    offsets = (np.arange(len(levels)) - (len(levels) - 1) / 2) * dodge
    for i, lv in enumerate(levels):
        col = colors[i % len(colors)]
        g = d[d["_g"] == lv].groupby(visit)[outcome].agg(["mean", "std", "count"])
        q = stats.t.ppf(0.5 + conf_level / 2, np.maximum(g["count"] - 1, 1))
        half = q * g["std"] / np.sqrt(g["count"])
        x = g.index.to_numpy(dtype=float) + offsets[i]
        ax.errorbar(x, g["mean"], yerr=half.fillna(0).to_numpy(), color=col, marker="o",
                    capsize=3, linewidth=2, label=f"{lv} (observed, {conf_level:.0%} CI)")
    if design is not None:
        by_name = {arm.name: arm for arm in design.arms}
        for i, lv in enumerate(levels):  # in the order of the observed means and the legend
            if lv in by_name:
                ax.plot(design.weeks, by_name[lv].means, linestyle="--",
                        color=colors[i % len(colors)], alpha=0.8, label=f"{lv} (design)")
        missing = [a.name for a in design.arms if a.name not in levels]
        if len(missing) == len(design.arms):
            raise InvalidParameterError(
                f"`design` arms {[a.name for a in design.arms]} do not match the groups {levels} "
                f"of column {group!r}."
            )
    _labels(ax, xlabel, ylabel, visit, outcome, title, mean=True)
    if legend:
        handles, names = ax.get_legend_handles_labels()
        # the observed means first, then the design's trajectories
        order = sorted(range(len(names)), key=lambda j: names[j].endswith("(design)"))
        place_legend(ax, handles=[handles[j] for j in order], labels=[names[j] for j in order],
                     fontsize="small")
    return ax
