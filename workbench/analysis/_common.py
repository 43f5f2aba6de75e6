"""Small helpers the analysis modules share (public names in a private module)."""

from __future__ import annotations

from .._validation import check_probability
from ..kernels.score import z_critical

__all__ = ["check_conf_level", "z_critical"]


def check_conf_level(conf_level) -> float:
    """``conf_level`` as a float in (0, 1), or an error naming it."""
    return check_probability("conf_level", conf_level)
