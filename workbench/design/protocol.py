"""The design protocol: what simulation, power and sequential code ask of a trial design.

A design type (time to event, binary, continuous, ...) is one frozen class that implements
:class:`TrialDesign`. Code that works on "any design" (:func:`workbench.simulate_power`,
:func:`workbench.power_curve`, :func:`workbench.simulated_sample_size`) calls these members and
never asks for a class. Adding a design type is one class, its tests, and (optionally) a closed-form
power registered with :func:`workbench.power.simulation.closed_form_power`.

The protocol, in words:

- ``arms``, ``arm_names``, ``n_total``: the arms (each with ``name`` and ``n``);
- ``experimental_index``, ``control_index``: which two arms the planned test compares;
- ``effect_name`` and ``effect``: the effect a power curve varies (``"hazard_ratio"``, ``"p1"``,
  ``"difference"``, ...) and its value in this design (None when the design has no single value);
- ``effect_direction``: ``"less"`` or ``"greater"``, the one-sided alternative in the direction of
  the assumed effect (on the planned statistic's scale: experimental minus control);
- ``with_effect(value)``, ``null_design()``, ``with_total(n_total, allocation_ratio)``: the same
  design with another effect, under the null hypothesis, with another size and allocation
  (``allocation_ratio`` = n experimental / n control; None keeps the current proportions);
- ``comparison(experimental, control)``: the design reduced to two named arms;
- ``simulate_block(size, rng)``: ``size`` replicates drawn at once as arrays (any object the planned
  tests understand);
- ``planned_tests``: name -> function ``(design, block, options) -> dict`` of arrays, one value per
  replicate: ``"z"`` (the statistic, oriented experimental minus control), optionally ``"df"`` (then
  ``z`` is referred to Student's t on ``df`` degrees of freedom), ``"events"`` (events or patients
  analysed) and ``"estimate"``. The first entry is the default test. A NaN statistic (undefined in
  that replicate) never counts as a rejection.

See ``docs/developing.md`` ("Add a design type") for a worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["TrialDesign", "PlannedTest", "ArmLike"]

#: a planned test: (design, block of replicates, options)
#: -> {"z": ..., "df"?, "events"?, "estimate"?}
PlannedTest = Callable[[Any, Any, Mapping[str, Any]], dict[str, np.ndarray]]


class ArmLike(Protocol):
    """What the protocol needs of an arm."""

    @property
    def name(self) -> str:
        """The arm's name."""

    @property
    def n(self) -> int:
        """The arm's number of patients."""


@runtime_checkable
class TrialDesign(Protocol):
    """A two-arm comparison that can be simulated and analysed by its planned tests."""

    planned_tests: Mapping[str, PlannedTest]

    @property
    def arms(self) -> Sequence[Any]:
        """The arms, each with ``name`` and ``n``."""

    @property
    def arm_names(self) -> Sequence[str]:
        """The arm names, in the order of ``arms``."""

    @property
    def n_total(self) -> int:
        """Number of patients over all arms."""

    @property
    def experimental_index(self) -> int:
        """Index in ``arms`` of the experimental arm of the planned comparison."""

    @property
    def control_index(self) -> int:
        """Index in ``arms`` of the control arm of the planned comparison."""

    @property
    def effect_name(self) -> str:
        """Name of the effect a power curve varies: "hazard_ratio", "p1" or "difference"."""

    @property
    def effect(self) -> float | None:
        """The design's value of the effect, or None when there is no single value."""

    @property
    def effect_direction(self) -> str:
        """``"less"`` or ``"greater"``: the one-sided alternative in the direction of the effect."""

    def with_effect(self, value: float) -> TrialDesign:
        """The same design with the effect ``value``."""

    def null_design(self) -> TrialDesign:
        """The same design under the null hypothesis (no effect)."""

    def with_total(self, n_total: int, allocation_ratio: float | None = None) -> TrialDesign:
        """The same design with ``n_total`` patients.

        ``allocation_ratio`` is n experimental / n control; None keeps the current proportions.
        """

    def comparison(self, experimental: str, control: str) -> TrialDesign:
        """The design reduced to the two named arms, ``experimental`` against ``control``."""

    def simulate_block(self, size: int, rng: Any) -> Any:
        """``size`` replicates drawn at once as arrays from the generator or seed ``rng``."""


def two_arm_weights(design: Any, allocation_ratio: float | None) -> list[float]:
    """Per-arm weights for :meth:`TrialDesign.with_total`.

    The current sizes, or the ratio n experimental / n control placed on the design's two arms.
    """
    if allocation_ratio is None:
        return [float(a.n) for a in design.arms]
    weights = [0.0] * len(design.arms)
    weights[design.experimental_index] = float(allocation_ratio)
    weights[design.control_index] = 1.0
    return weights
