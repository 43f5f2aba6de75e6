"""The design protocol: every design type honours it, and a new type plugs into simulated power
without any change to the library.

The new type here is a trial whose outcome is an event by a fixed horizon with a constant
probability per arm (no censoring): its planned test is the unpooled two-proportion z-test, whose
exact rejection rate is computed below from the two binomial distributions, independently of the
library.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
from scipy import stats

import workbench as wb
from workbench.design.protocol import TrialDesign
from workbench.exceptions import InvalidParameterError


# --------------------------------------------------------------------------------------------
# a design type defined outside the library
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HorizonArm:
    name: str
    n: int
    probability: float


def _wald_z(design, block, options):
    exp, ctrl = design.experimental_index, design.control_index
    x1, x2 = block[:, exp], block[:, ctrl]
    n1, n2 = design.arms[exp].n, design.arms[ctrl].n
    p1, p2 = x1 / n1, x2 / n2
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p2) / se, np.nan)
    return {"z": z, "events": (x1 + x2).astype(float), "estimate": p1 - p2}


@dataclass(frozen=True)
class HorizonDesign:
    """Events by a horizon with a constant probability per arm; arm 0 experimental."""

    arms: tuple[HorizonArm, HorizonArm]

    experimental_index: ClassVar[int] = 0
    control_index: ClassVar[int] = 1
    effect_name: ClassVar[str] = "p1"
    planned_tests: ClassVar[dict] = {"wald": _wald_z}

    @property
    def arm_names(self):
        return [a.name for a in self.arms]

    @property
    def n_total(self):
        return sum(a.n for a in self.arms)

    @property
    def effect(self):
        return self.arms[0].probability

    @property
    def effect_direction(self):
        return "less" if self.arms[0].probability < self.arms[1].probability else "greater"

    def with_effect(self, value):
        return dataclasses.replace(
            self, arms=(dataclasses.replace(self.arms[0], probability=value), self.arms[1]))

    def null_design(self):
        return self.with_effect(self.arms[1].probability)

    def with_total(self, n_total, allocation_ratio=None):
        r = self.arms[0].n / self.arms[1].n if allocation_ratio is None else allocation_ratio
        n1 = round(n_total * r / (1 + r))
        return dataclasses.replace(self, arms=(dataclasses.replace(self.arms[0], n=n1),
                                               dataclasses.replace(self.arms[1], n=n_total - n1)))

    def comparison(self, experimental, control):
        by_name = {a.name: a for a in self.arms}
        return dataclasses.replace(self, arms=(by_name[experimental], by_name[control]))

    def simulate_block(self, size, rng):
        g = np.random.default_rng(rng)
        return np.stack([g.binomial(a.n, a.probability, size) for a in self.arms], axis=1)


def _exact_rejection(design, alpha, alternative):
    """P(reject) of the Wald test, summed over both binomial distributions exactly."""
    a, c = design.arms
    x1, x2 = np.arange(a.n + 1)[:, None], np.arange(c.n + 1)[None, :]
    p1, p2 = x1 / a.n, x2 / c.n
    se = np.sqrt(p1 * (1 - p1) / a.n + p2 * (1 - p2) / c.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p2) / se, np.nan)
    q = stats.norm.ppf(1 - alpha / (2 if alternative == "two-sided" else 1))
    reject = {"two-sided": np.abs(z) >= q, "less": -z >= q, "greater": z >= q}[alternative]
    w = stats.binom.pmf(x1, a.n, a.probability) * stats.binom.pmf(x2, c.n, c.probability)
    return float((w * np.nan_to_num(reject)).sum())


HORIZON = HorizonDesign((HorizonArm("psychotherapy", 60, 0.25), HorizonArm("usual care", 60, 0.45)))


def test_a_new_design_type_runs_through_simulated_power():
    assert isinstance(HORIZON, TrialDesign)
    res = wb.simulate_power(HORIZON, n_reps=4000, rng=11)
    exact = _exact_rejection(HORIZON, 0.05, "two-sided")
    assert abs(res.power - exact) <= 3.5 * res.mcse, (res.power, exact)
    null = _exact_rejection(HORIZON.null_design(), 0.05, "two-sided")
    assert abs(res.type1_error - null) <= 3.5 * res.type1_mcse
    assert res.test == "wald" and res.effect_name == "p1" and res.effect == 0.25
    assert res.closed_form_power is None  # no closed form registered for this type


def test_a_new_design_type_one_sided_and_in_curves_and_searches():
    res = wb.simulate_power(HORIZON, n_reps=2000, alternative="less", alpha=0.025, rng=3)
    assert abs(res.power - _exact_rejection(HORIZON, 0.025, "less")) <= 3.5 * res.mcse
    wrong = wb.simulate_power(HORIZON, n_reps=2000, alternative="greater", alpha=0.025, rng=3,
                              type1=False)
    assert wrong.power < 0.01  # the effect lies the other way
    curve = wb.power_curve(HORIZON, n_total=[60, 120], effect=[0.25, 0.35], n_reps=500, rng=4)
    assert list(curve.columns[:4]) == ["n_total", "n1", "n2", "p1"]
    # the curve follows the exact rejection rates at every grid point
    for row in curve.itertuples():
        point = HORIZON.with_total(int(row.n_total)).with_effect(row.p1)
        exact = _exact_rejection(point, 0.05, "two-sided")
        assert abs(row.power - exact) <= 4 * row.mcse + 1e-9, (row.n_total, row.p1)
    search = wb.simulated_sample_size(HORIZON, power=0.8, n_reps=1000, rng=5)
    n = search.n_total
    exact_at_n = _exact_rejection(HORIZON.with_total(n), 0.05, "two-sided")
    assert exact_at_n > 0.8 - 4 * math.sqrt(0.8 * 0.2 / 1000)


def test_same_seed_same_numbers_for_a_new_design_type_whatever_the_chunks():
    a = wb.simulate_power(HORIZON, n_reps=1500, rng=9, chunk_size=500)
    b = wb.simulate_power(HORIZON, n_reps=1500, rng=9, chunk_size=1500)
    assert (a.power, a.type1_error) == (b.power, b.type1_error)


def test_an_object_without_the_protocol_is_refused_with_what_it_lacks():
    with pytest.raises(InvalidParameterError, match="simulate_block"):
        wb.simulate_power(object(), n_reps=10)


# --------------------------------------------------------------------------------------------
# the shared suite: every design type of the library honours the protocol
# --------------------------------------------------------------------------------------------
def _library_designs():
    t1 = wb.load_design("t1")
    t4 = wb.load_design("t4")
    t7 = wb.load_design("t7")
    return [pytest.param(d, id=type(d).__name__) for d in (t1, t4, t7)] + [
        pytest.param(HORIZON, id="HorizonDesign")]


@pytest.mark.parametrize("design", _library_designs())
def test_every_design_type_honours_the_protocol(design):
    assert isinstance(design, TrialDesign)
    exp, ctrl = design.experimental_index, design.control_index
    assert {exp, ctrl} == {0, 1}
    assert design.effect_direction in ("less", "greater")
    assert list(design.planned_tests), "at least one planned test"
    # with_total keeps the allocation, or takes the ratio experimental / control
    bigger = design.with_total(200)
    assert bigger.n_total == 200
    two_to_one = design.with_total(150, 2.0)
    assert (two_to_one.arms[exp].n, two_to_one.arms[ctrl].n) == (100, 50)
    # with_effect sets the effect; the null design has none to speak of
    effect = design.effect
    assert design.with_effect(effect).effect == pytest.approx(effect)
    null = design.null_design()
    assert null.n_total == design.n_total
    # comparison names the arms experimental, control
    names = design.arm_names
    swapped = design.comparison(names[ctrl], names[exp])
    assert swapped.arm_names[swapped.experimental_index] == names[ctrl]
    # one block of replicates: every planned test gives one statistic per replicate
    block = design.simulate_block(7, np.random.SeedSequence(1))
    for name, test in design.planned_tests.items():
        out = test(design, block, {})
        assert np.shape(out["z"]) == (7,), name
    # same seed, same block
    again = design.simulate_block(7, np.random.SeedSequence(1))
    first = next(iter(design.planned_tests.values()))
    np.testing.assert_array_equal(first(design, block, {})["z"], first(design, again, {})["z"])
