"""Forest and contour-enhanced funnel plots of a meta-analysis."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..analysis.meta import MetaAnalysisResult, TrimFillResult
from ..exceptions import InvalidParameterError
from .style import forest_table, new_axes, place_legend, styled

__all__ = ["plot_forest", "plot_funnel"]

_LABELS = {"SMD": "Standardised mean difference (Hedges' g)", "RR": "Risk ratio",
           "OR": "Odds ratio", "RD": "Risk difference"}
_LOG_LABELS = {"RR": "Log risk ratio", "OR": "Log odds ratio"}


def _unpack(result):
    """(result to draw, boolean mask of imputed studies)."""
    if isinstance(result, TrimFillResult):
        return result.result, result.filled
    if isinstance(result, MetaAnalysisResult):
        return result, np.zeros(result.k, bool)
    raise InvalidParameterError(
        "`result` must be a MetaAnalysisResult or TrimFillResult (from meta_analysis, "
        f"mantel_haenszel or trim_and_fill); got {type(result).__name__}.")


@styled
def plot_forest(result, *, ax=None, transform: bool | None = None, prediction: bool = True,
                show_values: bool = True, xlabel: str | None = None, title: str | None = None,
                color: str = "black", favours: tuple[str, str] | None = None,
                study_header: str = "Study"):
    """Forest plot: study estimates and intervals, weights, pooled diamond, prediction interval.

    Laid out as metafor's ``forest``: a header row over the study labels and the value columns,
    the estimate with its interval and the weight right of the plot, and, when ``favours`` is
    given, captions under the axis either side of the line of no effect. Everything is inside
    the figure, so a plain ``fig.savefig(path)`` keeps it.

    Parameters
    ----------
    result : MetaAnalysisResult or TrimFillResult
        With a trim-and-fill result the imputed studies are drawn as open squares.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure (house style, constrained layout) is created when None.
    transform : bool, optional
        Show ratios (exp of the log scale, logarithmic axis); default True for RR and OR.
    prediction : bool, default True
        Draw the prediction interval (metafor's, z or Hartung-Knapp t) under the diamond.
    show_values : bool, default True
        Print ``estimate [lower, upper]`` and the weight (percent) right of the plot, under a
        header row.
    xlabel, title : str, optional
    color : str, default "black"
    favours : (str, str), optional
        What a result left and right of the line of no effect favours, e.g.
        ``("comparator", "PDT")``: printed under the axis as ``<- favours comparator`` and
        ``favours PDT ->``.
    study_header : str, default "Study"
        Header of the study labels.

    Returns
    -------
    matplotlib.axes.Axes
        Study squares are ``Line2D`` markers (one per study), intervals are lines, the diamond a
        ``Polygon``; y tick labels are the study labels, ``Pooled (<method>)`` and ``Prediction``;
        the header row, the values and the captions are ``ax.texts``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.analysis.meta import meta_analysis
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     study=["A", "B", "C", "D", "E"])
    >>> ax = plot_forest(res, favours=("comparator", "PDT"))
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['A', 'B']
    """
    from matplotlib.patches import Polygon

    res, filled = _unpack(result)
    k = res.k
    longest = max([len(str(v)) for v in res.study] + [16])
    ax = new_axes(ax, (min(14.0, max(8.0, 6.5 + 0.075 * longest)), 1.9 + 0.34 * (k + 4)))
    if transform is None:
        transform = res.measure in ("RR", "OR")
    f = np.exp if transform else (lambda x: x)
    z = stats.norm.isf((1 - res.conf_level) / 2)
    se = np.sqrt(res.vi)
    lo, hi = res.yi - z * se, res.yi + z * se
    y = np.arange(k, 0, -1, dtype=float)
    wmax = float(np.max(res.weights))
    for i in range(k):
        ax.plot([f(lo[i]), f(hi[i])], [y[i], y[i]], color=color, lw=1)
        size = 4 + 10 * math.sqrt(res.weights[i] / wmax)
        ax.plot([f(res.yi[i])], [y[i]], marker="s", ms=size, ls="none",
                mfc="white" if filled[i] else color, mec=color)
    y_pool = -0.3
    diamond = Polygon([(f(res.ci_lower), y_pool), (f(res.estimate), y_pool + 0.35),
                       (f(res.ci_upper), y_pool), (f(res.estimate), y_pool - 0.35)],
                      closed=True, facecolor=color, edgecolor=color)
    ax.add_patch(diamond)
    labels = list(res.study) + [f"Pooled ({res.method}{'+HK' if res.knha else ''})"]
    ticks = list(y) + [y_pool]
    y_pi = -1.2
    has_pi = prediction and np.isfinite(res.pi_lower) and np.isfinite(res.pi_upper)
    if has_pi:
        ax.plot([f(res.pi_lower), f(res.pi_upper)], [y_pi, y_pi], color=color, lw=1.5)
        for x in (res.pi_lower, res.pi_upper):
            ax.plot([f(x), f(x)], [y_pi - 0.15, y_pi + 0.15], color=color, lw=1.5)
        labels.append("Prediction")
        ticks.append(y_pi)
    null = 1.0 if transform else 0.0
    ax.axvline(null, color="0.5", lw=0.8, ls="--", zorder=0)
    ax.axvline(f(res.estimate), color=color, lw=0.6, ls=":", zorder=0)
    if transform:
        from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels)
    # the pooled and prediction rows in bold, as metafor sets the summary apart
    for label in ax.get_yticklabels()[k:]:
        label.set_fontweight("bold")
    y_head = k + 1.0
    ax.set_ylim((y_pi if has_pi else y_pool) - 0.8, y_head + 0.6)
    header, cells = None, []
    if show_values:
        ci_name = f"{res.conf_level:.0%} CI"
        rows = [(f(res.yi[i]), f(lo[i]), f(hi[i]), res.weights[i], y[i]) for i in range(k)]
        rows.append((f(res.estimate), f(res.ci_lower), f(res.ci_upper), 100.0, y_pool))
        texts = [f"{est:5.2f} [{a:5.2f}, {b:5.2f}]" for est, a, b, _, _ in rows]
        width = max(len(c) for c in texts + [f"Estimate [{ci_name}]"])
        cells = [(yy, f"{text:<{width}}  {w:5.1f}%", i == k)
                 for i, (text, (_, _, _, w, yy)) in enumerate(zip(texts, rows, strict=True))]
        if has_pi:
            pi_cell = f"{'':5} [{f(res.pi_lower):5.2f}, {f(res.pi_upper):5.2f}]"
            cells.append((y_pi, f"{pi_cell:<{width}}", False))
        header = f"{'Estimate [' + ci_name + ']':<{width}}  {'Weight':>6}"
    if xlabel is None:
        xlabel = (_LABELS.get(res.measure, "Effect") if transform or res.measure not in _LOG_LABELS
                  else _LOG_LABELS[res.measure])
    ax.set_xlabel(xlabel)
    forest_table(ax, y_head=y_head, label_header=study_header, header=header, cells=cells,
                 favours=favours, null=null)
    if title is not None:
        ax.set_title(title)
    return ax


@styled
def plot_funnel(result, *, ax=None, contours: bool = True, conf_levels=(0.90, 0.95, 0.99),
                pseudo_ci: bool = True, xlabel: str | None = None, title: str | None = None,
                legend: bool = True):
    r"""Funnel plot of effect against standard error, contour-enhanced by default.

    The legend goes into the first corner of the axes where it covers no study (else right of
    the axes).

    Parameters
    ----------
    result : MetaAnalysisResult or TrimFillResult
        With a trim-and-fill result the imputed studies are drawn as open circles.
    ax : matplotlib Axes, optional
    contours : bool, default True
        Shade the regions where a study would be significant (two-sided) at the levels given,
        centred on the null (Peters et al. 2008): darker shades for smaller p-values.
    conf_levels : sequence of float in (0, 1), default (0.90, 0.95, 0.99)
        Confidence levels bounding the shaded regions (p = 0.10, 0.05, 0.01).
    pseudo_ci : bool, default True
        Dashed lines at estimate +/- z * se and a line at the pooled estimate.
    xlabel, title : str, optional
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
        The y axis (standard error) points down, zero at the top; studies are one ``Line2D``
        (observed) and another for imputed studies if any; contours are ``PolyCollection``\ s.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.analysis.meta import meta_analysis, trim_and_fill
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07])
    >>> ax = plot_funnel(trim_and_fill(res))
    >>> bool(ax.yaxis_inverted())
    True
    """
    from matplotlib.patches import Patch

    res, filled = _unpack(result)
    lv = sorted(float(x) for x in conf_levels)
    if not lv or any(not 0 < x < 1 for x in lv):
        raise InvalidParameterError(
            f"`conf_levels` must be numbers in (0, 1); got {conf_levels!r}.")
    ax = new_axes(ax, (6.4, 5))
    se = np.sqrt(res.vi)
    top = float(se.max()) * 1.1
    grid = np.linspace(0, top, 200)
    xr = max(float(np.max(np.abs(res.yi))), abs(res.estimate)) + stats.norm.isf(0.005) * top
    xr *= 1.05
    handles = []
    if contours:
        # regions from the outside in: p < 1 - lv[-1], ..., p >= 1 - lv[0] (white)
        n = len(lv)
        greys = [str(g) for g in np.linspace(0.68, 0.9, n)] + ["white"]
        ax.fill_betweenx(grid, -xr, xr, color=greys[0], lw=0, zorder=0)
        handles.append(Patch(color=greys[0], label=f"p < {1 - lv[-1]:.2g}"))
        for j, level in enumerate(reversed(lv), start=1):
            zz = stats.norm.isf((1 - level) / 2)
            ax.fill_betweenx(grid, -zz * grid, zz * grid, color=greys[j], lw=0, zorder=0)
            if j < n:
                handles.append(Patch(color=greys[j],
                                     label=f"{1 - level:.2g} \u2264 p < {1 - lv[n - j - 1]:.2g}"))
    if pseudo_ci:
        zz = stats.norm.isf((1 - res.conf_level) / 2)
        ax.plot(res.estimate - zz * grid, grid, color="black", ls="--", lw=0.8)
        ax.plot(res.estimate + zz * grid, grid, color="black", ls="--", lw=0.8)
        ax.axvline(res.estimate, color="black", lw=0.8)
    ax.plot(res.yi[~filled], se[~filled], "o", color="black", ms=5.5, ls="none", label="studies")
    if filled.any():
        ax.plot(res.yi[filled], se[filled], "o", mfc="white", mec="black", ms=5.5, ls="none",
                label="imputed")
    ax.set_ylim(top, 0)
    ax.set_xlim(-xr if contours else None, xr if contours else None)
    if xlabel is None:
        xlabel = _LOG_LABELS.get(res.measure, _LABELS.get(res.measure, "Effect"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Standard error")
    if title is not None:
        ax.set_title(title)
    if legend and (handles or filled.any()):
        h, _ = ax.get_legend_handles_labels()
        place_legend(ax, np.column_stack([res.yi, se]), handles=h + handles,
                     fontsize="small", frameon=True, framealpha=0.95, edgecolor="0.8")
    return ax
