"""SurvivalDesign: validation, constructors and round trips."""

import dataclasses
import math

import pytest

from workbench import InvalidParameterError
from workbench.design import (
    Arm,
    Exponential,
    PiecewiseExponential,
    SurvivalDesign,
    Weibull,
    load_design,
    split_total,
)


def test_t1_design_matches_published_rates():
    d = load_design("t1")
    assert d.n_per_arm == [41, 51]
    assert d.arm_names == ["combination", "pharmacotherapy"]
    assert d.arms[0].cdf(48) == pytest.approx(0.27, rel=1e-12)
    assert d.arms[1].cdf(48) == pytest.approx(0.47, rel=1e-12)
    assert d.dropout_probability(48) == pytest.approx(0.10, rel=1e-12)
    assert d.follow_up_type == "fixed" and d.max_follow_up == 48


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip(fmt):
    d = SurvivalDesign(
        arms=(
            Arm("a", 30, Weibull(1.3, 40.0), cure_fraction=0.2),
            Arm("b", 31, PiecewiseExponential((0, 6, 12), (0.02, 0.0, 0.01))),
            Arm("c", 32, Exponential(0.01)),
        ),
        accrual_time=12,
        follow_up=24,
        follow_up_type="calendar",
        dropout_rate=0.003,
        name="three arms",
    )
    text = getattr(d, f"to_{fmt}")()
    assert getattr(SurvivalDesign, f"from_{fmt}")(text) == d


def test_from_dict_friendly_specs():
    d = SurvivalDesign.from_dict(
        {
            "arms": [
                {"name": "x", "n": 10, "event_time": {"probability": 0.27, "time": 48}},
                {"name": "y", "n": 12, "event_time": {"median": 20}},
                {"name": "z", "n": 12,
                 "event_time": {"distribution": "weibull", "shape": 2, "median": 20}},
            ],
            "dropout_probability": 0.1,
            "dropout_time": 12,
        }
    )
    assert d.arms[0].cdf(48) == pytest.approx(0.27)
    assert d.arms[1].event_time.median() == pytest.approx(20)
    assert d.arms[2].event_time.median() == pytest.approx(20)
    assert d.dropout_rate == pytest.approx(-math.log(0.9) / 12)


def test_distribution_formulas():
    # Weibull from a probability hits it; piecewise cumulative hazard is piecewise linear
    w = Weibull.from_probability(0.3, 24, shape=0.7)
    assert float(w.cdf(24)) == pytest.approx(0.3, rel=1e-12)
    pw = PiecewiseExponential((0, 10), (0.1, 0.05))
    assert float(pw.cumulative_hazard(5)) == pytest.approx(0.5)
    assert float(pw.cumulative_hazard(20)) == pytest.approx(1.0 + 0.5)
    assert float(pw.sample(1.5)) == pytest.approx(20)
    # zero-hazard piece: sampling jumps over it
    pz = PiecewiseExponential((0, 5, 10), (0.1, 0.0, 0.1))
    assert float(pz.sample(0.5)) == pytest.approx(5.0)
    assert float(pz.sample(0.6)) == pytest.approx(11.0)


def test_sizes_and_allocation():
    d = SurvivalDesign.from_probabilities({"e": 0.27, "c": 0.47}, at=48, n_total=148,
                                          allocation_ratio=2)
    assert d.n_per_arm == [99, 49]
    assert d.with_total(92).n_per_arm == [62, 30]  # 92 * 99/148 = 61.5
    assert d.with_total(90, allocation_ratio=2).n_per_arm == [60, 30]
    assert d.with_sizes([41, 51]).n_per_arm == [41, 51]
    assert split_total(7, [1, 1]) == [4, 3]
    # replace keeps validation
    with pytest.raises(InvalidParameterError, match="follow_up"):
        dataclasses.replace(d, follow_up=-1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"probabilities": {"a": 1.2, "b": 0.4}}, "probabilities"),
        ({"probabilities": {"a": 0.0, "b": 0.4}}, "probabilities"),
        ({"probabilities": {"a": 0.2}}, "probabilities"),
        ({"accrual_time": -1}, "accrual_time"),
        ({"follow_up": 0}, "follow_up"),
        ({"follow_up_type": "forever"}, "follow_up_type"),
        ({"dropout_probability": 1.0, "dropout_time": 12}, "dropout_probability"),
        ({"dropout_probability": 0.1}, "dropout_time"),
    ],
)
def test_invalid_designs_name_the_field(kwargs, match):
    args = {"probabilities": {"a": 0.27, "b": 0.47}, "at": 48, "n_total": 92} | kwargs
    with pytest.raises(InvalidParameterError, match=match):
        SurvivalDesign.from_probabilities(**args)


def test_invalid_arm_fields():
    with pytest.raises(InvalidParameterError, match=r"arms\[a\]\.n"):
        Arm("a", -3, Exponential(0.1))
    with pytest.raises(InvalidParameterError, match="cure_fraction"):
        Arm("a", 3, Exponential(0.1), cure_fraction=1.0)
    with pytest.raises(InvalidParameterError, match="distribution"):
        Arm("a", 3, {"distribution": "lognormal", "mu": 1})
    with pytest.raises(InvalidParameterError, match="hazard"):
        Exponential(-0.1)
    with pytest.raises(InvalidParameterError, match="unique"):
        SurvivalDesign((Arm("a", 3, Exponential(0.1)), Arm("a", 3, Exponential(0.1))))
    with pytest.raises(InvalidParameterError, match="unknown design field"):
        SurvivalDesign.from_dict({"arms": [], "colour": "red"})


def test_malformed_design_text_and_arms_are_named_errors():
    arm = {"name": "b", "n": 3, "event_time": {"hazard": 0.1}}
    with pytest.raises(InvalidParameterError, match="`arms` must be a list"):
        SurvivalDesign.from_yaml("arms: 3\n")
    with pytest.raises(InvalidParameterError, match=r"`arms\[0\]` must be an Arm or a mapping"):
        SurvivalDesign.from_dict({"arms": [3, arm]})
    with pytest.raises(InvalidParameterError, match="as YAML"):
        SurvivalDesign.from_yaml("arms: [\n")
    with pytest.raises(InvalidParameterError, match="as JSON"):
        SurvivalDesign.from_json("{")
    with pytest.raises(InvalidParameterError, match="`starts` must be a list of finite numbers"):
        SurvivalDesign.from_dict({"arms": [
            {"name": "a", "n": 3, "event_time": {"distribution": "piecewise_exponential",
                                                 "starts": ["zero"], "hazards": [0.1]}}, arm]})
    with pytest.raises(InvalidParameterError, match="`name` must be a string"):
        dataclasses.replace(load_design("t1"), name=3)


def test_no_loss_to_follow_up_as_a_probability():
    d = SurvivalDesign.from_probabilities({"a": 0.27, "b": 0.47}, at=48, n_total=92,
                                          dropout_probability=0.0, dropout_time=48)
    assert d.dropout_rate == 0.0
    # 10% by 48 months is the hazard -log(0.9)/48
    assert SurvivalDesign.dropout_from_probability(0.1, 48) == pytest.approx(-math.log(0.9) / 48)
    for bad in (-0.1, 1.0, float("nan"), "0.1"):
        with pytest.raises(InvalidParameterError,
                           match=r"dropout_probability` must be in \[0, 1\)"):
            SurvivalDesign.dropout_from_probability(bad, 48)
