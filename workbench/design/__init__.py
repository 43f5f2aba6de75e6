"""Frozen, validated trial designs that round-trip to and from YAML and JSON.

One module per outcome type; this package re-exports them. The published trials and
meta-analyses are design files in ``catalogue/``: ``load_design("t1")``, ``list_designs()``.
"""

from ._load import (  # noqa: F401
    design_from_dict,
    list_designs,
    load_design,
    register_design_type,
)
from .binary import (  # noqa: F401
    BinaryArm,
    BinaryDesign,
    SwitchRule,
    solve_switch_stages,
)
from .continuous import ContinuousArm, ContinuousDesign  # noqa: F401
from .meta import MetaAnalysisDesign  # noqa: F401
from .sequential import (  # noqa: F401
    GroupSequentialDesign,
    boundary_crossing,
    group_sequential_design,
    spending_function,
)
from .survival import (  # noqa: F401
    Arm,
    Exponential,
    PiecewiseExponential,
    PiecewiseHazardRatio,
    SurvivalDesign,
    Weibull,
    distribution_from_dict,
    nph_design,
    split_total,
)

__all__ = [
    "design_from_dict",
    "list_designs",
    "load_design",
    "register_design_type",
    "BinaryArm",
    "BinaryDesign",
    "SwitchRule",
    "solve_switch_stages",
    "ContinuousArm",
    "ContinuousDesign",
    "MetaAnalysisDesign",
    "GroupSequentialDesign",
    "group_sequential_design",
    "boundary_crossing",
    "spending_function",
    "Arm",
    "Exponential",
    "PiecewiseExponential",
    "PiecewiseHazardRatio",
    "nph_design",
    "SurvivalDesign",
    "Weibull",
    "distribution_from_dict",
    "split_total",
]
