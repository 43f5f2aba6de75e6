"""The Axes a plot function draws on."""

from __future__ import annotations


def new_axes(ax, size: tuple[float, float]):
    """``ax`` itself, or the Axes of a new figure of ``size`` inches when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax
