"""The house style of every plot, applied per figure and never to matplotlib's global settings.

One palette, seaborn's colour-blind-safe ``"colorblind"`` (Wong's palette: blue, orange and
bluish green stay apart under deuteranopia and protanopia), seaborn's ``"ticks"`` theme without the
top and right spines, seaborn's ``"notebook"`` sizes scaled to 0.9 and DejaVu Sans, the font
matplotlib ships (so that a figure looks the same on every machine).

Every ``plot_*`` function draws inside :func:`house_style`, a ``matplotlib.rc_context``: the
settings hold while the function draws and are restored afterwards, so importing
:mod:`workbench.plotting` or calling a plot function leaves ``matplotlib.rcParams`` as it found
them. A figure the function creates uses constrained layout, so that a plain
``fig.savefig(path)`` at the default size cuts nothing off. :func:`subplots` makes such a figure
for several panels.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["CORNERS", "FONT", "PALETTE", "arm_colors", "arm_linestyles", "drawn_points",
           "favours_captions", "forest_table", "format_p_value", "freeze_ticks", "new_axes",
           "styled", "fit_title", "house_style", "palette", "place_legend", "subplots"]

#: the seaborn palette every plot draws its colours from
PALETTE = "colorblind"
#: the font of every text (matplotlib ships it, so figures look the same everywhere)
FONT = "DejaVu Sans"
#: line styles that tell arms apart without colour (print in grey, colour-blind readers)
_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


@functools.cache
def palette() -> tuple[str, ...]:
    """The house palette as hex colours: seaborn's ``color_palette("colorblind")``.

    Examples
    --------
    >>> palette()[:3]
    ('#0173b2', '#de8f05', '#029e73')
    """
    import seaborn as sns  # type: ignore[import-untyped]

    return tuple(sns.color_palette(PALETTE).as_hex())


def arm_colors(n: int) -> list[str]:
    """``n`` colours for ``n`` arms or curves, the palette in order (repeated beyond its length).

    Examples
    --------
    >>> arm_colors(2)
    ['#0173b2', '#de8f05']
    """
    pal = palette()
    return [pal[i % len(pal)] for i in range(n)]


def arm_linestyles(n: int, *, distinct: bool | None = None) -> list[Any]:
    """Line styles for ``n`` curves: all solid for one or two, distinct from three on.

    ``distinct=True`` or ``False`` forces the choice.

    Examples
    --------
    >>> arm_linestyles(2), arm_linestyles(3)
    (['-', '-'], ['-', '--', '-.'])
    """
    if distinct is None:
        distinct = n >= 3
    if not distinct:
        return ["-"] * n
    return [_LINESTYLES[i % len(_LINESTYLES)] for i in range(n)]


@functools.cache
def _rc() -> dict[str, Any]:
    import seaborn as sns
    from cycler import cycler

    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("ticks"))
    rc.update(sns.plotting_context("notebook", font_scale=0.9))
    rc.update({
        "font.family": ["sans-serif"],
        "font.sans-serif": [FONT],
        "font.monospace": ["DejaVu Sans Mono"],
        "mathtext.fontset": "dejavusans",
        "axes.prop_cycle": cycler(color=list(palette())),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "legend.frameon": False,
        "patch.force_edgecolor": False,
        "image.cmap": "viridis",
        "figure.dpi": 100,
        "figure.autolayout": False,
    })
    return rc


@contextmanager
def house_style() -> Iterator[None]:
    """Draw in the house style inside the ``with`` block; the global settings are restored after.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> before = dict(matplotlib.rcParams)
    >>> with house_style():
    ...     matplotlib.rcParams["axes.spines.top"]
    False
    >>> dict(matplotlib.rcParams) == before
    True
    """
    import matplotlib.pyplot as plt

    rc: Any = _rc()
    with plt.rc_context(rc):
        yield


def freeze_ticks(axes) -> None:
    """Create the first tick of each axis now, inside the house style.

    matplotlib makes ticks when a figure is drawn, perhaps after the style is gone; later ticks
    copy the first one, so creating it inside the style keeps the house fonts and sizes.
    """
    for ax in [axes, *getattr(axes, "child_axes", []), getattr(axes, "right_ax", None)]:
        if ax is None:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_major_ticks()
            axis.get_minor_ticks()


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` in the house style, with constrained layout.

    The axes are ready for ``plot_*(..., ax=...)``; ``fig.savefig(path)`` cuts nothing off.
    Keyword arguments go to :func:`matplotlib.pyplot.subplots` (``figsize``, ``sharey``...).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig, axes = subplots(1, 2, figsize=(10, 4))
    >>> fig.get_layout_engine().__class__.__name__, len(axes)
    ('ConstrainedLayoutEngine', 2)
    """
    import matplotlib.pyplot as plt
    import numpy as np

    kwargs.setdefault("layout", "constrained")
    with house_style():
        fig, axes = plt.subplots(nrows, ncols, **kwargs)
        for ax in np.ravel(axes):
            freeze_ticks(ax)
    return fig, axes


def new_axes(ax, size: tuple[float, float]):
    """``ax`` itself, or the Axes of a new house-style figure of ``size`` inches."""
    if ax is None:
        _, ax = subplots(figsize=size)
    return ax


def styled(func):
    """Run a plot function inside :func:`house_style` (the wrapper keeps its signature).

    A figure the function created is laid out once before it is returned (inside the style), so
    that positions and extents are final at once, as after a ``savefig``.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with house_style():
            ax = func(*args, **kwargs)
            freeze_ticks(ax)
            if kwargs.get("ax") is None:
                ax.figure.draw_without_rendering()
        return ax

    return wrapper


def format_p_value(p: float) -> str:
    """A p-value as a plot prints it: ``"p = 0.27"``, ``"p = 0.034"``, ``"p < 0.001"``.

    Two decimals from 0.1 up, three below, ``"p < 0.001"`` under 0.001 (tables use
    :func:`workbench.results.format_p_value`, three decimals throughout).

    Examples
    --------
    >>> format_p_value(0.2712), format_p_value(0.03412), format_p_value(0.00004)
    ('p = 0.27', 'p = 0.034', 'p < 0.001')
    """
    if p is None or not math.isfinite(p):
        return "p = -"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2f}" if p >= 0.1 else f"p = {p:.3f}"


#: corners tried in turn by :func:`place_legend`
CORNERS = ("upper right", "upper left", "lower right", "lower left")


def drawn_points(ax, per_segment: int = 24):
    """Points along every line and line collection of ``ax``: what a legend must not cover.

    Data coordinates, ``per_segment`` points a segment (lines across the axes included).
    """
    import numpy as np
    from matplotlib.collections import LineCollection

    out = []
    to_data = ax.transData.inverted()

    def add(xy, transform):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if transform != ax.transData:  # lines across the axes (axhline) and the like
            xy = to_data.transform(transform.transform(xy))
        if len(xy) == 1:
            out.append(xy)
        elif len(xy) > 1:
            f = np.linspace(0.0, 1.0, per_segment)[:, None, None]
            out.append((xy[:-1] + f * (xy[1:] - xy[:-1])).reshape(-1, 2))

    for line in ax.get_lines():
        add(line.get_xydata(), line.get_transform())
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            for seg in coll.get_segments():
                add(seg, coll.get_transform())
    return np.concatenate(out) if out else np.zeros((0, 2))


def place_legend(ax, points=None, *, candidates=CORNERS, margin: float = 4.0, **kwargs):
    """A legend in the first of ``candidates`` where it covers none of ``points``.

    Parameters
    ----------
    ax : matplotlib Axes
    points : array_like of shape (n, 2), optional
        Data coordinates that must stay visible (the studies of a funnel plot, say); default
        points along every line of the axes (:func:`drawn_points`).
    candidates : sequence of legend locations, default the four corners
    margin : float, default 4
        Points of free space kept around the legend.
    **kwargs
        Passed to ``ax.legend`` (``handles``, ``labels``, ``fontsize``...).

    Returns
    -------
    matplotlib.legend.Legend
        Inside the axes where a corner is free, else outside, right of the axes (laid out with
        the figure, so a figure with constrained layout keeps it whole).
    """
    import numpy as np

    pts = np.asarray(drawn_points(ax) if points is None else points, dtype=float).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    fig = ax.figure
    if fig.get_layout_engine() is not None:
        fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for loc in candidates:
        legend = ax.legend(loc=loc, **kwargs)
        box = legend.get_window_extent(renderer).padded(margin * fig.dpi / 72)
        xy = ax.transData.transform(pts) if len(pts) else pts
        inside = ((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0)
                  & (xy[:, 1] <= box.y1)) if len(xy) else np.zeros(0, bool)
        if not inside.any():
            return legend
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def fit_title(ax, title: str) -> str:
    """``title`` broken into lines that fit the width of ``ax`` (at the title's font size).

    Panels side by side keep their titles apart; a line break in ``title`` is kept.
    """
    import textwrap

    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    size = FontProperties(size=mpl.rcParams["axes.titlesize"]).get_size_in_points()
    # the width before layout, less a sixth for the labels constrained layout makes room for;
    # DejaVu Sans bold takes about 0.58 of the font size a character
    width_pt = 0.85 * ax.get_position().width * ax.figure.get_figwidth() * 72
    chars = max(24, int(width_pt / (0.58 * size)))
    out: list[str] = []
    for line in title.split("\n"):
        # break after a comma where possible, else between words
        current = ""
        for part in line.split(", "):
            candidate = f"{current}, {part}" if current else part
            if len(candidate) <= chars or not current:
                current = candidate
            else:
                out.append(current + ",")
                current = part
        out.extend(textwrap.wrap(current, chars) or [""])
    return "\n".join(out)


def favours_captions(ax, favours, null: float) -> None:
    """``"<- favours left"`` and ``"favours right ->"`` under the x axis label.

    Either side of ``null`` (data units); laid out with the figure, so that a plain ``savefig``
    keeps them. ``favours`` None draws nothing.
    """
    if favours is None:
        return
    if (isinstance(favours, str) or len(favours) != 2
            or not all(isinstance(f, str) for f in favours)):
        raise InvalidParameterError(
            f"`favours` must be two texts (left, right), e.g. ('control', 'PDT'); got {favours!r}.")
    left, right = favours
    for text, dx, ha in ((f"\u2190 favours {left}", -6, "right"),
                         (f"favours {right} \u2192", 6, "left")):
        ax.annotate(text, xy=(null, 0), xycoords=("data", ax.xaxis.label), xytext=(dx, -4),
                    textcoords="offset points", ha=ha, va="top", fontsize="small",
                    color="0.25", annotation_clip=False)


def forest_table(ax, *, y_head: float, label_header: str, header: str | None = None,
                 cells=(), favours=None, null: float = 0.0) -> None:
    """The table around a forest-style plot (one row of the plot a row of the table).

    Hides the left spine and the y ticks (the y tick labels are the row labels), prints
    ``label_header`` in bold over the row labels at height ``y_head``, the value column right of
    the axes (``cells``: ``(y, text, bold)``, monospace) under ``header`` (None: no value column),
    and the :func:`favours_captions` either side of ``null``.
    """
    from matplotlib.transforms import blended_transform_factory

    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    tr = blended_transform_factory(ax.transAxes, ax.transData)
    # right-aligned with the row labels, which stand a tick pad left of the axes
    pad = ax.yaxis.get_major_ticks()[0].get_pad() if ax.yaxis.get_major_ticks() else 3.5
    ax.annotate(label_header, xy=(0, y_head), xycoords=tr, xytext=(-pad, 0),
                textcoords="offset points", ha="right", va="center", fontweight="bold",
                annotation_clip=False)
    if header is not None:
        style = {"transform": tr, "va": "center", "ha": "left", "family": "monospace",
                 "fontsize": "small"}
        for y, text, bold in cells:
            ax.text(1.03, y, text, fontweight="bold" if bold else "normal", **style)
        ax.text(1.03, y_head, header, fontweight="bold", **style)
    favours_captions(ax, favours, null)
