"""Frozen, validated trial designs that round-trip to and from YAML and JSON.

One module per outcome type; this package re-exports them.
"""

from .survival import (  # noqa: F401
    Arm,
    Exponential,
    PiecewiseExponential,
    SurvivalDesign,
    Weibull,
    distribution_from_dict,
    split_total,
)

__all__ = [
    "Arm",
    "Exponential",
    "PiecewiseExponential",
    "SurvivalDesign",
    "Weibull",
    "distribution_from_dict",
    "split_total",
]
