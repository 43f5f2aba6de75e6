"""BinaryDesign: published trials T2-T6, switch rules, round trips and validation."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.design import (
    BinaryArm,
    BinaryDesign,
    SwitchRule,
    load_design,
    solve_switch_stages,
)
from workbench.exceptions import InvalidParameterError

# trial -> (total, {arm: (n, published rate)}) from the seed-trial table
PUBLISHED = {
    "T2": (74, {"pdt_clomipramine": (37, 0.09), "clomipramine": (37, 0.28)}),
    "T3": (156, {"pdt": (51, 0.22), "sertraline": (52, 0.25), "placebo": (53, 0.20)}),
    "T4": (51, {"pdt": (25, 0.57), "fluoxetine": (26, 0.68)}),
    "T5": (233, {"pdt": (117, 0.23), "cbt": (116, 0.23)}),
    "T6": (237, {"pdt": (118, 0.16), "cognitive_therapy": (119, 0.22)}),
}


@pytest.mark.parametrize("trial", list(PUBLISHED))
def test_published_sizes_and_rates(trial):
    total, arms = PUBLISHED[trial]
    d = load_design(trial)
    assert d.n_total == total and d.name == trial
    assert {a.name: (a.n, pytest.approx(a.p, abs=1e-12)) for a in d.arms} == arms


@pytest.mark.parametrize("trial", list(PUBLISHED))
def test_nri_rates_keep_the_published_itt_rates_under_dropout(trial):
    dropout = 0.05 if trial == "T2" else 0.15
    d = load_design(trial).with_dropout(dropout)
    _, arms = PUBLISHED[trial]
    exp = d.expected_rates().set_index("arm")
    for name, (_, rate) in arms.items():
        assert exp.loc[name, "rate_nri"] == pytest.approx(rate, abs=1e-12)
    raw = load_design(trial).with_dropout(dropout, nri_rates=False)
    assert raw.rates == pytest.approx([r for _, r in arms.values()])


def test_t2_is_a_bad_outcome_and_t5_has_a_margin():
    t2 = load_design("t2")
    assert t2.outcome == "still depressed" and not t2.higher_is_better
    assert t2.endpoint_week == 10 and t2.reference_arm == "clomipramine"
    t5 = load_design("t5")
    assert t5.margin == -0.10 and t5.reference_arm == "cbt"
    # drop-outs count as still depressed: the NRI rate of a bad outcome rises with drop-out
    raw = load_design("t2").with_dropout(0.2, nri_rates=False).expected_rates()
    assert raw["rate_nri"].tolist() == pytest.approx([0.09 * 0.8 + 0.2, 0.28 * 0.8 + 0.2])
    with pytest.raises(InvalidParameterError, match="dropout"):
        load_design("t2").with_dropout(0.10)  # 9% still depressed cannot hold with 10% imputed


def test_t3_switch_rules_hit_the_published_final_rates():
    d = load_design("t3")
    sert, plac = d.arms[1], d.arms[2]
    assert sert.switch.switch_to == "venlafaxine" and plac.switch.switch_to == "placebo"
    assert d.arms[0].switch is None
    r = sert.switch
    assert r.response * r.remission_responders + (1 - r.response) * r.remission_switched == (
        pytest.approx(0.25, abs=1e-12))
    assert plac.switch.final_rate == pytest.approx(0.20, abs=1e-12)
    rules = solve_switch_stages([0.25, 0.20], response=(0.5, 0.4), remission_responders=(0.4, 0.3),
                                switch_to=["venlafaxine", "placebo"])
    switched = (dataclasses.replace(a, p=None, switch=r)
                for a, r in zip(d.arms[1:], rules, strict=True))
    other = dataclasses.replace(d, arms=(d.arms[0], *switched))
    assert other.arms[1].switch.response == 0.5 and other.arms[1].p == pytest.approx(0.25)


@pytest.mark.parametrize("unknown", ["response", "remission_responders", "remission_switched"])
def test_solve_switch_stages_round_trip(unknown):
    truth = [SwitchRule(0.35, 0.5, 0.1154), SwitchRule(0.4, 0.45, 0.12),
             SwitchRule(0.3, 0.45, 0.09)]
    finals = [t.final_rate for t in truth]
    given = {k: [getattr(t, k) for t in truth]
             for k in ("response", "remission_responders", "remission_switched") if k != unknown}
    rules = solve_switch_stages(finals, **given, switch_to=["a", "b", "c"])
    for rule, t in zip(rules, truth, strict=True):
        assert getattr(rule, unknown) == pytest.approx(getattr(t, unknown), abs=1e-12)
        assert rule.final_rate == pytest.approx(t.final_rate, abs=1e-14)
    assert [r.switch_to for r in rules] == ["a", "b", "c"]


def test_solve_switch_stages_t3_targets():
    rules = solve_switch_stages([0.22, 0.25, 0.20], response=0.35, remission_responders=0.5)
    assert [r.final_rate for r in rules] == pytest.approx([0.22, 0.25, 0.20], abs=1e-14)


@pytest.mark.parametrize("kwargs,match", [
    (dict(final_rates=0.25, response=0.35), "exactly one"),
    (dict(final_rates=0.25, response=0.2, remission_responders=0.5, remission_switched=0.1),
     "exactly one"),
    (dict(final_rates=0.9, response=0.2, remission_responders=0.3), "remission_switched"),
    (dict(final_rates=[0.2, 0.3], response=[0.1, 0.2, 0.3], remission_responders=0.5), "response"),
    (dict(final_rates=1.2, response=0.2, remission_responders=0.3), r"final_rates\[0\]"),
    (dict(final_rates=0.2, response=1.0, remission_responders=0.3), "remission_switched"),
])
def test_solve_switch_stages_errors(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        solve_switch_stages(**kwargs)


@pytest.mark.parametrize("trial", list(PUBLISHED))
def test_round_trips(trial, tmp_path):
    d = dataclasses.replace(load_design(trial).with_dropout(0.05), missing="both")
    assert BinaryDesign.from_dict(d.to_dict()) == d
    assert BinaryDesign.from_yaml(d.to_yaml()) == d
    assert BinaryDesign.from_json(d.to_json()) == d
    d.to_yaml(tmp_path / "d.yaml")
    d.to_json(tmp_path / "d.json")
    assert BinaryDesign.from_file(tmp_path / "d.yaml") == d
    assert BinaryDesign.from_file(tmp_path / "d.json") == d
    assert BinaryDesign.from_yaml(str(tmp_path / "d.yaml")) == d


def test_hand_written_yaml_and_variants():
    text = """
arms:
  - {name: pdt, n: 40, p: 0.3}
  - name: drug
    n: 40
    switch: {response: 0.4, remission_responders: 0.5, remission_switched: 0.1}
    dropout: 0.2
dropout: 0.1
missing: complete_case
"""
    d = BinaryDesign.from_yaml(text)
    assert d.arms[1].p == pytest.approx(0.26) and d.arm_dropout("drug") == 0.2
    assert d.arm_dropout("pdt") == 0.1 and d.reference_arm == "pdt"
    bigger = d.with_sizes([80, 80])
    assert bigger.n_total == 160 and bigger.arms[1].switch == d.arms[1].switch
    assert dataclasses.replace(d, missing="nri").missing == "nri"


@pytest.mark.parametrize("build,match", [
    (lambda: BinaryArm("a", 10, 1.2), r"arms\[a\]\.p"),
    (lambda: BinaryArm("a", 0, 0.2), r"arms\[a\]\.n"),
    (lambda: BinaryArm("a", 10), r"arms\[a\]\.p"),
    (lambda: BinaryArm("", 10, 0.2), "name"),
    (lambda: BinaryArm("a", 10, 0.2, dropout=1.0), r"arms\[a\]\.dropout"),
    (lambda: BinaryArm("a", 10, 0.5, switch=SwitchRule(0.4, 0.5, 0.1)), r"arms\[a\]\.p"),
    (lambda: SwitchRule(1.4, 0.5, 0.1), "response"),
    (lambda: SwitchRule(0.4, 0.5, -0.1), "remission_switched"),
    (lambda: BinaryDesign([BinaryArm("a", 10, 0.2)]), "arms"),
    (lambda: BinaryDesign([BinaryArm("a", 10, 0.2), BinaryArm("a", 10, 0.3)]), "unique"),
    (lambda: load_design("t4").with_dropout(1.0), "dropout"),
    (lambda: dataclasses.replace(load_design("t4"), missing="impute"), "missing"),
    (lambda: dataclasses.replace(load_design("t4"), reference="placebo"), "reference"),
    (lambda: dataclasses.replace(load_design("t4"), margin=0.1), "margin"),
    (lambda: dataclasses.replace(load_design("t2"), margin=-0.1), "margin"),
    (lambda: dataclasses.replace(load_design("t4"), endpoint_week=0), "endpoint_week"),
    (lambda: dataclasses.replace(load_design("t3"), endpoint_week=8), "response_week"),
    (lambda: dataclasses.replace(load_design("t4"), higher_is_better="yes"), "higher_is_better"),
    (lambda: BinaryDesign.from_dict({"arms": [], "colour": 1}), "colour"),
    (lambda: BinaryDesign.from_dict({"arms": [{"name": "a", "n": 5, "q": 0.1}]}), "q"),
    (lambda: BinaryDesign.from_yaml("arms: [unclosed"), "YAML"),
    (lambda: load_design("T9"), "source"),
])
def test_invalid_values_name_the_field(build, match):
    with pytest.raises(InvalidParameterError, match=match):
        build()


def test_display():
    d = load_design("t3").with_dropout(0.1)
    assert "remission_switched" in d.summary.columns
    page = d._repr_html_()
    assert "Binary-outcome design" in page and "BinaryDesign" not in page
    assert "missing outcomes: counted as non-response (NRI)" in page and "sertraline" in str(d)


def test_published_trial_fields_can_be_replaced():
    d = dataclasses.replace(load_design("t4"), name="T4 replica", endpoint_week=12.0)
    assert (d.name, d.endpoint_week) == ("T4 replica", 12.0)
    assert [(a.name, a.n, a.p) for a in d.arms] == [("pdt", 25, 0.57), ("fluoxetine", 26, 0.68)]
