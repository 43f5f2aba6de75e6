"""Small helpers the analysis modules share (public names in a private module)."""

from __future__ import annotations

from scipy import stats

from .._validation import _check_probability

__all__ = ["check_conf_level", "z_critical"]


def check_conf_level(conf_level) -> float:
    """``conf_level`` as a float in (0, 1), or an error naming it."""
    return _check_probability("conf_level", conf_level)


def z_critical(conf_level: float) -> float:
    """The two-sided normal quantile ``z_(1 - (1 - conf_level) / 2)``."""
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))
