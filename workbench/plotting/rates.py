"""Plots of remission/response rates: per-arm rates and a forest plot of risk differences."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..analysis.rates import ArmRates, EffectEstimate, RatesAnalysis
from ..exceptions import InvalidParameterError
from .style import forest_table, new_axes, palette, styled

__all__ = ["plot_risk_differences", "plot_rates"]

#: the names of the intervals of arm_rates, as a reader knows them
_INTERVALS = {"wilson": "Wilson", "clopper-pearson": "Clopper-Pearson",
              "wilson-cc": "Wilson, continuity-corrected", "agresti-coull": "Agresti-Coull",
              "jeffreys": "Jeffreys", "wald": "Wald"}


def _rows(results, labels) -> pd.DataFrame:
    """Normalise the accepted inputs to rows of label, estimate, ci_lower, ci_upper, conf_level.

    ``conf_level`` is NaN where the input does not say (a DataFrame without that column).
    """

    def from_one(label, r):
        if isinstance(r, RatesAnalysis):
            out = []
            many = len(r.comparisons) > 1
            level = r.settings.get("conf_level", math.nan)
            for c in r.comparisons.to_dict(orient="records"):
                name = f"{c['group']} vs {c['reference']}"
                out.append((f"{label}: {name}" if label and many else (label or name),
                            c["risk_difference"], c["rd_ci_lower"], c["rd_ci_upper"], level))
            return out
        if isinstance(r, EffectEstimate):
            if r.measure != "risk_difference":
                raise InvalidParameterError(
                    f"`results` must hold risk differences; got a {r.measure} estimate.")
            return [(label or f"{r.group} vs {r.reference}", r.estimate, r.ci_lower, r.ci_upper,
                     r.conf_level)]
        raise InvalidParameterError(
            "`results` entries must be RatesAnalysis (compare_rates) or EffectEstimate "
            f"(risk_difference) objects; got {type(r).__name__}.")

    if isinstance(results, pd.DataFrame):
        df = results
        cols = {"estimate": ("risk_difference", "estimate"),
                "ci_lower": ("rd_ci_lower", "ci_lower"), "ci_upper": ("rd_ci_upper", "ci_upper")}
        picked = {}
        for key, options in cols.items():
            found = [c for c in options if c in df.columns]
            if not found:
                raise InvalidParameterError(
                    f"`results` DataFrame needs a column {' or '.join(map(repr, options))}; it has "
                    f"{list(df.columns)}.")
            picked[key] = df[found[0]].to_numpy(dtype=float)
        if "label" in df.columns:
            lab = df["label"].astype(str).tolist()
        elif {"group", "reference"} <= set(df.columns):
            lab = [f"{g} vs {r}" for g, r in zip(df["group"], df["reference"], strict=True)]
        else:
            lab = [str(i) for i in df.index]
        level = (df["conf_level"].to_numpy(dtype=float) if "conf_level" in df.columns
                 else np.full(len(df), math.nan))
        rows = list(zip(lab, picked["estimate"], picked["ci_lower"], picked["ci_upper"], level,
                        strict=True))
    elif isinstance(results, Mapping):
        rows = [row for k, v in results.items() for row in from_one(str(k), v)]
    elif isinstance(results, RatesAnalysis | EffectEstimate):
        rows = from_one(None, results)
    else:
        items = list(results)
        if labels is not None and len(labels) != len(items):
            raise InvalidParameterError(
                f"`labels` must give one name per result ({len(items)}); got {len(labels)}.")
        names = list(labels) if labels is not None else [None] * len(items)
        rows = [row for lab, r in zip(names, items, strict=True) for row in from_one(lab, r)]
        labels = None
    out = pd.DataFrame(rows, columns=["label", "estimate", "ci_lower", "ci_upper", "conf_level"])
    if labels is not None:
        if len(labels) != len(out):
            raise InvalidParameterError(
                f"`labels` must give one name per row ({len(out)}); got {len(labels)}.")
        out["label"] = [str(v) for v in labels]
    if out.empty:
        raise InvalidParameterError("`results` holds nothing to plot.")
    return out


def _margin_text(margin: float, percent: bool) -> str:
    """The margin in the axis' units: ``-10 percentage points`` or ``-0.1``."""
    value = f"{margin * 100:+.3g}" if percent else f"{margin:+.3g}"
    value = value.replace("-", "\u2212")
    return f"non-inferiority margin ({value}{' percentage points' if percent else ''})"


@styled
def plot_risk_differences(results, *, ax=None, labels=None, margin: float | None = None,
                          show_values: bool = True, percent: bool = True,
                          favours: tuple[str, str] | None = None, xlabel: str | None = None,
                          title: str | None = None, color: str = "black",
                          label_header: str = "Comparison"):
    """Forest-style plot of risk differences with their confidence intervals.

    Laid out as a forest plot: a header row over the labels and the values, the difference with
    its interval right of the plot, ``favours`` captions under the axis either side of zero;
    everything inside the figure, so that a plain ``fig.savefig(path)`` keeps it.

    Parameters
    ----------
    results : RatesAnalysis, EffectEstimate, a list or dict of them, or a DataFrame
        What to draw: every comparison of :func:`~workbench.analysis.rates.compare_rates`
        results, risk-difference :class:`~workbench.analysis.rates.EffectEstimate` objects (dict
        keys or ``labels`` name the rows), or a DataFrame with ``risk_difference`` (or
        ``estimate``), ``rd_ci_lower``/``rd_ci_upper`` (or ``ci_lower``/``ci_upper``) and a
        ``label`` (or ``group`` and ``reference``) column.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        Row labels (default: dict keys, or "group vs reference").
    margin : float, optional
        Draw a dashed line at a non-inferiority margin (a risk difference, ``-0.1``); its legend
        gives it in the axis' units ("-10 percentage points" when ``percent``).
    show_values : bool, default True
        Print ``estimate [lower, upper]`` right of the plot, under a header.
    percent : bool, default True
        Show risk differences in percentage points.
    favours : (str, str), optional
        Captions under the axis left and right of zero, e.g. ``("control", "PDT")``.
    xlabel, title : str, optional
    color : str, default "black"
    label_header : str, default "Comparison"
        Header of the row labels.

    Returns
    -------
    matplotlib.axes.Axes
        One marker (``Line2D``) and one interval line per row, top to bottom in input order; y
        tick labels are the row labels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.analysis.rates import risk_difference
    >>> rd = {"T4": risk_difference(events=[18, 14], totals=[26, 25], labels=["flx", "pdt"]),
    ...       "T6": risk_difference(events=[26, 19], totals=[119, 118], labels=["ct", "pdt"])}
    >>> ax = plot_risk_differences(rd, margin=-0.1)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['T4', 'T6']
    >>> ax.get_legend().get_texts()[0].get_text()
    'non-inferiority margin (−10 percentage points)'
    """
    rows = _rows(results, labels)
    if margin is not None and (isinstance(margin, bool) or not isinstance(margin, int | float)
                               or not math.isfinite(margin)):
        raise InvalidParameterError(f"`margin` must be a number; got {margin!r}.")
    k = len(rows)
    longest = max(len(str(v)) for v in rows["label"])
    ax = new_axes(ax, (min(14.0, max(8.0, 5.8 + 0.075 * longest)), 1.9 + 0.42 * (k + 2)))
    scale = 100.0 if percent else 1.0
    y = np.arange(k, 0, -1, dtype=float)
    for yi, r in zip(y, rows.itertuples(), strict=True):
        ax.plot([r.ci_lower * scale, r.ci_upper * scale], [yi, yi], color=color, lw=1.2)
        ax.plot([r.estimate * scale], [yi], marker="s", ms=7, ls="none", color=color)
    ax.axvline(0, color="0.5", lw=0.8)
    y_head = k + 0.9
    bottom = 0.3
    if margin is not None:
        ax.axvline(margin * scale, color=palette()[3], lw=1.2, ls="--",
                   label=_margin_text(margin, percent))
        bottom = -0.4  # a free band under the last row for the legend
    ax.set_yticks(y)
    ax.set_yticklabels(rows["label"].tolist())
    ax.set_ylim(bottom, y_head + 0.5)
    unit = " (percentage points)" if percent else ""
    ax.set_xlabel(xlabel if xlabel is not None else f"Risk difference{unit}")
    if title:
        ax.set_title(title)
    header, cells = None, []
    if show_values:
        fmt = (lambda v: f"{v * scale:5.1f}") if percent else (lambda v: f"{v:6.3f}")
        cells = [(yi, f"{fmt(r.estimate)} [{fmt(r.ci_lower)}, {fmt(r.ci_upper)}]", False)
                 for yi, r in zip(y, rows.itertuples(), strict=True)]
        levels = set(rows["conf_level"].dropna())
        header = f"Difference [{levels.pop():.0%} CI]" if len(levels) == 1 else "Difference [CI]"
    forest_table(ax, y_head=y_head, label_header=label_header, header=header, cells=cells,
                 favours=favours, null=0.0)
    if margin is not None:
        # in the free band under the last row, on a white ground over the margin line
        ax.legend(loc="lower right", fontsize="small", handlelength=2.4, frameon=True,
                  framealpha=1.0, edgecolor="white", facecolor="white")
    return ax


@styled
def plot_rates(result, *, ax=None, percent: bool = True, color: str | None = None,
               title: str | None = None):
    """Rate of the outcome in each arm with its confidence interval.

    Parameters
    ----------
    result : ArmRates or RatesAnalysis
    ax : matplotlib Axes, optional
    percent : bool, default True
    color : str, optional
        Colour of the bars; default the first colour of the house palette.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        One bar per arm (``Rectangle`` patches) with error bars for the interval; each x tick
        label is the arm's name over its count (``placebo`` over ``11/53``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from workbench.analysis.rates import arm_rates
    >>> ax = plot_rates(arm_rates(events=[11, 13, 11], totals=[51, 52, 53]))
    >>> len(ax.patches)
    3
    """
    if isinstance(result, RatesAnalysis):
        result = result.arms
    if not isinstance(result, ArmRates):
        raise InvalidParameterError(
            f"`result` must be ArmRates (arm_rates) or RatesAnalysis (compare_rates); got "
            f"{type(result).__name__}.")
    s = result.summary
    scale = 100.0 if percent else 1.0
    ax = new_axes(ax, (2.0 + 1.1 * len(s), 4.2))
    x = np.arange(len(s))
    rate = s["rate"].to_numpy() * scale
    # a limit on the rate itself (0 events) may sit a rounding error beyond it
    err = np.clip(np.vstack([rate - s["ci_lower"].to_numpy() * scale,
                             s["ci_upper"].to_numpy() * scale - rate]), 0.0, None)
    ax.bar(x, rate, color=color or palette()[0], alpha=0.8, width=0.6)
    ax.errorbar(x, rate, yerr=err, fmt="none", ecolor="black", capsize=4, lw=1)
    ax.set_xticks(x)
    # the count under the arm's name, legible whatever the height of the bar
    ax.set_xticklabels([f"{r.group}\n{r.events}/{r.n}" for r in s.itertuples()])
    method = _INTERVALS.get(str(result.method), str(result.method))
    ax.set_ylabel(f"Rate{' (%)' if percent else ''} with {result.conf_level:.0%} CI "
                  f"({method})")
    ax.set_ylim(0, scale)
    if title:
        ax.set_title(title)
    return ax
