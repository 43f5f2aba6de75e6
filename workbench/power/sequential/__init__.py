"""Group-sequential trials in the power layer: sample sizes, monitoring, power and simulation.

The designs themselves (:class:`GroupSequentialDesign`, :func:`group_sequential_design`,
:func:`spending_function`, :func:`boundary_crossing`) live in :mod:`workbench.design.sequential`
and are re-exported here, so that everything group-sequential imports from one place.

Modules: :mod:`.sample_size` (rpact getSampleSizeSurvival, getSampleSizeRates),
:mod:`.monitoring` (boundaries at the information reached, decisions, repeated confidence
intervals, event-driven looks at patient data), :mod:`.power` (getPowerSurvival) and
:mod:`.simulation` (getSimulationSurvival). All are checked against rpact 3.3.4 in
``tests/reference/group_sequential.json``.
"""

from ...design.sequential import (
    GroupSequentialDesign,
    boundary_crossing,
    group_sequential_design,
    spending_function,
)
from .monitoring import SequentialMonitoring, data_at_events, monitor_logrank, monitor_sequential
from .power import SequentialPower, power_survival_sequential
from .sample_size import (
    DEFAULT_ACCRUAL_TIME,
    DEFAULT_DROPOUT_TIME,
    SequentialSampleSizeRates,
    SequentialSampleSizeSurvival,
    hazard_ratio_bounds,
    sample_size_rates_sequential,
    sample_size_survival_sequential,
)
from .simulation import SequentialSimulation, simulate_survival_sequential

__all__ = [
    "GroupSequentialDesign",
    "group_sequential_design",
    "boundary_crossing",
    "spending_function",
    "DEFAULT_ACCRUAL_TIME",
    "DEFAULT_DROPOUT_TIME",
    "SequentialSampleSizeSurvival",
    "sample_size_survival_sequential",
    "SequentialSampleSizeRates",
    "sample_size_rates_sequential",
    "hazard_ratio_bounds",
    "SequentialMonitoring",
    "monitor_sequential",
    "monitor_logrank",
    "data_at_events",
    "SequentialPower",
    "power_survival_sequential",
    "SequentialSimulation",
    "simulate_survival_sequential",
]
