"""Group-sequential plots: boundaries against information and the cumulative error spent."""

from __future__ import annotations

import math

import numpy as np

from ..design.sequential import GroupSequentialDesign, design_type_name, spending_function
from ..exceptions import InvalidParameterError
from ..power.sequential import (
    SequentialMonitoring,
    SequentialSampleSizeRates,
    SequentialSampleSizeSurvival,
)
from .style import fit_title, new_axes, palette, place_legend, styled

__all__ = ["design_type_name", "plot_boundaries", "plot_spending"]

_OBSERVED = "black"


def _colours() -> tuple[str, str]:
    """The colours of efficacy and futility: the house palette's vermilion and blue.

    The pair stays apart for colour-blind readers; looked up when drawing, so that importing this
    module does not import seaborn.
    """
    pal = palette()
    return pal[3], pal[0]


def _design_title(design) -> str:
    """``"O'Brien-Fleming type alpha spending, 3 looks"`` and the futility rule on a second line."""
    title = design_type_name(design.type_of_design, gamma=design.gamma, rho=design.rho,
                             delta_wt=design.delta_wt) + f", {design.kmax} looks"
    binding = "binding" if design.binding else "non-binding"
    if isinstance(design.futility, str):
        fut = design_type_name(design.futility, gamma=design.futility_gamma,
                               rho=design.futility_rho)
        title += f"\nfutility: {fut}, {binding}"
    elif design.futility is not None:
        title += f"\nfutility: fixed bounds, {binding}"
    return title


def _parts(obj):
    """(design, sample size or None, monitoring or None)."""
    if isinstance(obj, GroupSequentialDesign):
        return obj, None, None
    if isinstance(obj, SequentialSampleSizeSurvival | SequentialSampleSizeRates):
        return obj.design, obj, None
    if isinstance(obj, SequentialMonitoring):
        return obj.design, None, obj
    raise InvalidParameterError(
        "`obj` must be a GroupSequentialDesign, a group-sequential sample size or a "
        f"SequentialMonitoring result; got {type(obj).__name__}."
    )


@styled
def plot_boundaries(obj, *, scale: str = "z", ax=None, futility: bool = True,
                    fill: bool = True, title: str | None = None, legend: bool = True):
    """Efficacy and futility boundaries against information.

    Parameters
    ----------
    obj : GroupSequentialDesign, SequentialSampleSizeSurvival, SequentialSampleSizeRates or
        SequentialMonitoring
        A design (z or p scale), a sample size (also the effect scale: hazard ratio against
        events, risk difference against subjects) or a monitoring result (the recomputed
        boundaries at the information reached, with the observed z statistics).
    scale : {"z", "p", "effect"}, default "z"
        z statistic (oriented towards the design's alternative, as the bounds and a monitoring
        result's ``z``), one-sided nominal p-value (log axis) or effect scale.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when None.
    futility : bool, default True
        Draw futility bounds (and, two-sided, the lower efficacy bound).
    fill : bool, default True
        Shade the rejection and futility regions.
    title : str, optional
        Default the boundary type spelled out (``"O'Brien-Fleming type alpha spending, 3
        looks"``) and the futility rule.
    legend : bool, default True
        In a corner free of lines, else right of the axes.

    Returns
    -------
    matplotlib.axes.Axes
        Lines labelled ``efficacy``, ``efficacy (lower)``, ``futility``, ``futility (lower)``
        (two-sided designs: the futility region is ``-u < z < u``) and, for monitoring,
        ``planned efficacy`` (the design's bounds) and ``observed z``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.design import group_sequential_design
    >>> d = group_sequential_design(kmax=3, futility="bsOF")
    >>> ax = plot_boundaries(d)
    >>> ax.get_legend_handles_labels()[1]
    ['efficacy', 'futility']
    """
    design, size, mon = _parts(obj)
    if scale not in ("z", "p", "effect"):
        raise InvalidParameterError(f"`scale` must be one of 'z', 'p', 'effect'; got {scale!r}.")
    if scale == "effect" and size is None:
        raise InvalidParameterError(
            "`scale`='effect' needs a sample size result (sample_size_survival_sequential or "
            "sample_size_rates_sequential): the effect scale depends on events or subjects."
        )
    if scale != "z" and mon is not None:
        raise InvalidParameterError("monitoring results are drawn on the z scale (`scale`='z').")
    ax = new_axes(ax, (6.4, 4.2))
    efficacy, futility_colour = _colours()
    crit = np.asarray(mon.critical_values if mon else design.critical_values, dtype=float)
    if mon is not None:
        x = np.asarray(mon.information_rates)
        fut = np.asarray(mon.futility_bounds, dtype=float)
        xlabel = "Information reached (fraction of the maximum)"
    else:
        x = np.asarray(design.information_rates)
        fut = (np.append(design.futility_bounds, math.nan) if design.futility_bounds
               else np.full(design.kmax, math.nan))
        xlabel = "Information (fraction of the maximum)"
    lower = -crit if design.sided == 2 else None
    ylabel = "z statistic (standard normal)"
    if scale == "p":
        crit = np.asarray(design.stage_levels)
        fut = 1.0 - _phi(fut)
        lower = None
        ylabel = "Nominal one-sided p-value"
    elif scale == "effect":
        surv = isinstance(size, SequentialSampleSizeSurvival)
        x = np.asarray(size.events_per_look if surv else size.subjects_per_look)
        xlabel = "Cumulative number of events" if surv else "Number of subjects"
        ylabel = "Hazard ratio" if surv else "Risk difference (p1 \u2212 p2)"
        crit = np.asarray(size.critical_values_effect_scale)
        fut = (np.append(size.futility_bounds_effect_scale, math.nan)
               if size.futility_bounds_effect_scale else np.full(design.kmax, math.nan))
        other = size.critical_values_effect_scale_other
        lower = np.asarray(other) if other is not None else None
    ax.plot(x, crit, marker="o", color=efficacy, label="efficacy")
    if lower is not None and futility:
        ax.plot(x, lower, marker="o", color=efficacy, linestyle="--", label="efficacy (lower)")
    has_fut = futility and np.any(np.isfinite(fut))
    # two-sided designs stop for futility when |z| < u: the region lies between -u and u
    inner = design.sided == 2 and scale == "z"
    if has_fut:
        ok = np.isfinite(fut)
        ax.plot(x[ok], fut[ok], marker="s", color=futility_colour, label="futility")
        if inner:
            ax.plot(x[ok], -fut[ok], marker="s", color=futility_colour, linestyle="--",
                    label="futility (lower)")
    if fill and scale == "z":
        top = max(np.nanmax(crit) + 1.0, 4.5)
        ax.fill_between(x, crit, top, color=efficacy, alpha=0.08, step=None)
        if has_fut:
            ok = np.isfinite(fut)
            bottom = -fut[ok] if inner else (-top if lower is None else lower[ok])
            ax.fill_between(x[ok], bottom, fut[ok], color=futility_colour, alpha=0.08)
        if lower is not None:
            ax.fill_between(x, -top, lower, color=efficacy, alpha=0.08)
    if mon is not None:
        ax.plot(design.information_rates, design.critical_values, color="grey", linewidth=0.8,
                linestyle="--", label="planned efficacy")
        ax.plot(x, mon.z, marker="D", linestyle=":", color=_OBSERVED, label="observed z")
    if scale == "p":
        ax.set_yscale("log")
    if scale == "effect" and isinstance(size, SequentialSampleSizeSurvival):
        ax.axhline(size.theta_h0, color="grey", linewidth=0.8)
    elif scale == "z":
        ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else fit_title(ax, _design_title(design)))
    if legend:
        place_legend(ax, fontsize="small")
    return ax


def _phi(x):
    from scipy.special import ndtr

    return ndtr(np.asarray(x, dtype=float))


@styled
def plot_spending(obj, *, ax=None, beta: bool = True, curve: bool = True,
                  title: str | None = None, legend: bool = True):
    """Cumulative alpha (and beta) spent against information.

    Parameters
    ----------
    obj : GroupSequentialDesign or SequentialMonitoring
        Markers at the looks (information reached, for a monitoring result).
    ax : matplotlib Axes, optional
    beta : bool, default True
        Also draw the cumulative beta spent of a beta-spending design.
    curve : bool, default True
        Draw the spending function itself for alpha- and beta-spending designs.
    title : str, optional
        Default the spending function spelled out (``"O'Brien-Fleming type alpha spending, 4
        looks"``) and the futility rule.
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
        Lines labelled ``alpha spending function`` and ``alpha spent``; the beta lines
        (``beta spending function``, ``beta spent``) are on a secondary y axis, ``ax.right_ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.design import group_sequential_design
    >>> ax = plot_spending(group_sequential_design(kmax=4))
    >>> [line.get_label() for line in ax.get_lines()]
    ['alpha spending function', 'alpha spent']
    """
    design, _, mon = _parts(obj)
    if not isinstance(obj, GroupSequentialDesign | SequentialMonitoring):
        raise InvalidParameterError(
            f"`obj` must be a GroupSequentialDesign or SequentialMonitoring; got "
            f"{type(obj).__name__}."
        )
    ax = new_axes(ax, (6.4, 4.2))
    efficacy, futility_colour = _colours()
    x = np.asarray(mon.information_rates if mon else design.information_rates)
    spent = np.asarray(mon.alpha_spent if mon else design.alpha_spent)
    grid = np.linspace(0.0, max(1.0, float(x.max())), 201)[1:]
    if curve and design.type_of_design.startswith("as"):
        f = spending_function(design.type_of_design, design.alpha, np.minimum(grid, 1.0),
                              alternative=design.alternative, gamma=design.gamma,
                              rho=design.rho)
        ax.plot(np.r_[0.0, grid], np.r_[0.0, f], color=efficacy, alpha=0.5,
                label="alpha spending function")
    ax.plot(np.r_[0.0, x], np.r_[0.0, spent], marker="o", color=efficacy, linestyle="-",
            label="alpha spent")
    handles = []
    if beta and isinstance(design.futility, str) and mon is None:
        right = ax.twinx()
        if curve:
            g = spending_function(design.futility, design.beta, grid, gamma=design.futility_gamma,
                                  rho=design.futility_rho)
            right.plot(np.r_[0.0, grid], np.r_[0.0, g], color=futility_colour, alpha=0.5,
                       label="beta spending function")
        right.plot(np.r_[0.0, x], np.r_[0.0, design.beta_spent], marker="s",
                   color=futility_colour, label="beta spent")
        right.set_ylabel("Cumulative beta spent (type II error)", color=futility_colour)
        right.spines["right"].set_visible(True)
        right.set_ylim(bottom=0.0)
        handles = right.get_lines()
        ax.right_ax = right
    ax.set_xlabel("Information (fraction of the maximum)")
    ax.set_ylabel("Cumulative alpha spent (type I error)", color=efficacy)
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.set_title(title if title is not None
                 else fit_title(ax, _design_title(design)))
    if legend:
        lines = list(ax.get_lines()) + list(handles)
        ax.legend(lines, [ln.get_label() for ln in lines], loc="upper left", fontsize="small")
    return ax
