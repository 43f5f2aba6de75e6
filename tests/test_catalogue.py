"""The design catalogue: published trials T1-T8 and meta-analyses M1-M3 as design files.

Each catalogue design must equal the design built here from the published figures with the
library's constructors (these are the values the former ``SurvivalDesign.from_t1`` ...
``MetaAnalysisDesign.from_m3`` class methods built, checked equal to the files before they were
removed).
"""

from __future__ import annotations

import dataclasses
import math
from importlib.resources import files

import pytest
import yaml

import workbench as wb
from workbench.design import (
    Arm,
    BinaryArm,
    BinaryDesign,
    ContinuousArm,
    ContinuousDesign,
    Exponential,
    MetaAnalysisDesign,
    SurvivalDesign,
    list_designs,
    load_design,
    solve_switch_stages,
)
from workbench.design.meta import split_sizes
from workbench.exceptions import InvalidParameterError

NAMES = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "m1", "m2", "m3"]
HAMD = dict(scale=(0.0, 52.0), round_to=1.0, remission_threshold=7.0, outcome_column="hamd")


def _binary(name, arms, **fields):
    return BinaryDesign(tuple(BinaryArm(a, n, p) for a, n, p in arms), name=name, **fields)


def _meta(name, n_total, k, seed, effect, tau):
    sizes = split_sizes(n_total, k, seed=seed)
    return MetaAnalysisDesign(n1=tuple((s + 1) // 2 for s in sizes),
                              n2=tuple(s // 2 for s in sizes), effect=effect, tau=tau, name=name)


def _t3():
    rules = solve_switch_stages([0.25, 0.20], response=(0.35, 0.30),
                                remission_responders=(0.50, 0.45),
                                switch_to=["venlafaxine", "placebo"])
    return BinaryDesign(
        (BinaryArm("pdt", 51, 0.22), BinaryArm("sertraline", 52, switch=rules[0]),
         BinaryArm("placebo", 53, switch=rules[1])),
        outcome="remission", endpoint_week=16.0, reference="placebo", name="T3",
        description="PDT (20 sessions) vs sertraline (switch to venlafaxine at week 8) vs "
        "placebo + clinical management; remission at week 16 (published 22% / 25% / 20%)")


EXPECTED = {
    "t1": lambda: SurvivalDesign(
        (Arm("combination", 41, Exponential.from_probability(0.27, 48.0)),
         Arm("pharmacotherapy", 51, Exponential.from_probability(0.47, 48.0))),
        accrual_time=24.0, follow_up=48.0, follow_up_type="fixed",
        dropout_rate=-math.log1p(-0.10) / 48.0, name="T1 recurrence follow-up"),
    "t2": lambda: _binary(
        "T2", [("pdt_clomipramine", 37, 0.09), ("clomipramine", 37, 0.28)],
        outcome="still depressed", higher_is_better=False, endpoint_week=10.0,
        reference="clomipramine",
        description="PDT + clomipramine vs clomipramine alone; still meeting major-depression "
        "criteria at week 10 (published 9% vs 28%)"),
    "t3": _t3,
    "t4": lambda: _binary(
        "T4", [("pdt", 25, 0.57), ("fluoxetine", 26, 0.68)], endpoint_week=16.0,
        reference="fluoxetine",
        description="weekly PDT vs fluoxetine 20-40 mg/day; remission at week 16 "
        "(published 57% vs 68%)"),
    "t5": lambda: _binary(
        "T5", [("pdt", 117, 0.23), ("cbt", 116, 0.23)], endpoint_week=22.0, reference="cbt",
        margin=-0.10,
        description="PDT vs CBT, 16 sessions within 22 weeks; remission (about 23% in each "
        "arm); non-inferiority of PDT"),
    "t6": lambda: _binary(
        "T6", [("pdt", 118, 0.16), ("cognitive_therapy", 119, 0.22)], outcome="response",
        endpoint_week=22.0, reference="cognitive_therapy",
        description="PDT vs cognitive therapy, 16 sessions over 5 months; response "
        "(published 16% vs 22%)"),
    "t7": lambda: ContinuousDesign(
        arms=(ContinuousArm("usual_care", 20, (22.0, 19.0, 17.0, 15.0)),
              ContinuousArm("pdt", 20, (22.0, 17.0, 14.0, 11.0))),
        weeks=(0.0, 4.0, 8.0, 12.0), sd=(4.0, 5.0, 5.5, 6.0), covariance="ar1", rho=0.7,
        dropout=(0.05, 0.05, 0.05), name="T7-like", **HAMD,
        description=("12 weeks, community mental health centre outpatients: brief "
                     "psychodynamic therapy (pdt) vs treatment-as-usual psychotherapy "
                     "(usual_care); HAM-D-17 at weeks 0, 4, 8, 12.")),
    "t8": lambda: ContinuousDesign(
        arms=(ContinuousArm("usual_care", 74, (26.0, 16.0, 14.0)),
              ContinuousArm("pdt", 75, (26.0, 13.0, 11.0))),
        weeks=(0.0, 5.0, 57.0), sd=(5.0, 6.5, 7.0), covariance="unstructured",
        correlation=((1.0, 0.5, 0.35), (0.5, 1.0, 0.55), (0.35, 0.55, 1.0)),
        dropout=(0.03, 0.20), dropout_mechanism="MAR", dropout_slope=0.05, name="T8-like",
        **HAMD,
        description=("inpatients (75% on antidepressants), brief psychodynamic therapy added "
                     "to usual care (pdt) vs psychosocial usual care (usual_care); HAM-D-17 at "
                     "admission, discharge (about week 5) and one year after discharge.")),
    "m1": lambda: _meta("M1", 435, 5, 20240601, 0.6, 0.3),
    "m2": lambda: _meta("M2", 1365, 23, 20240602, -0.2, 0.15),
    "m3": lambda: _meta("M3", 2757, 53, 20240603, 0.0, 0.1),
}


@pytest.mark.parametrize("name", NAMES)
def test_catalogue_design_equals_the_published_figures(name):
    expected = EXPECTED[name]()
    assert load_design(name) == expected
    assert load_design(name.upper()) == expected
    assert wb.load_design(f" {name} ") == expected


def test_published_sizes_and_rates():
    t1 = load_design("t1")
    assert t1.n_per_arm == [41, 51]
    assert [round(float(a.cdf(48)), 12) for a in t1.arms] == [0.27, 0.47]
    assert round(t1.dropout_probability(48), 12) == 0.10
    t3 = load_design("t3")
    assert t3.n_per_arm == [51, 52, 53]
    assert [round(p, 12) for p in t3.rates] == [0.22, 0.25, 0.20]
    assert [(d.k, d.n_total) for d in map(load_design, ("m1", "m2", "m3"))] == [
        (5, 435), (23, 1365), (53, 2757)]


def test_list_designs():
    df = list_designs()
    assert list(df.columns) == ["name", "type", "title", "arms", "n_total"]
    assert df["name"].tolist() == NAMES
    assert df["type"].tolist() == (["SurvivalDesign"] + ["BinaryDesign"] * 5
                                   + ["ContinuousDesign"] * 2 + ["MetaAnalysisDesign"] * 3)
    assert df["n_total"].tolist() == [92, 74, 156, 51, 233, 237, 40, 149, 435, 1365, 2757]
    assert df.loc[0, "arms"] == "combination, pharmacotherapy" and df.loc[8, "arms"] == ""
    assert df.loc[3, "title"] == "Weekly PDT vs fluoxetine, remission at week 16"
    assert (df["title"].str.len() > 0).all()
    assert wb.list_designs().equals(df)


@pytest.mark.parametrize("name", NAMES)
def test_catalogue_files_have_a_header_and_round_trip(name):
    text = (files("workbench.design") / "catalogue" / f"{name}.yaml").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0].startswith(f"# {name.upper()}: ")
    assert any("Published" in line for line in header)
    design = load_design(name)
    assert yaml.safe_load(text) == design.to_dict()     # the file is the design's own dictionary
    assert type(design).from_dict(design.to_dict()) == design


def test_a_path_still_loads_and_a_name_wins_over_a_file(tmp_path, monkeypatch):
    path = tmp_path / "d.yaml"
    path.write_text(load_design("t4").to_yaml())
    assert load_design(path) == load_design(str(path)) == load_design("t4")
    other = dataclasses.replace(load_design("t4"), name="mine")
    (tmp_path / "t4").write_text(other.to_yaml())
    (tmp_path / "mine").write_text(other.to_yaml())
    monkeypatch.chdir(tmp_path)
    assert load_design("t4").name == "T4"              # the catalogue
    assert load_design("./t4").name == "mine"           # the file
    assert load_design("mine").name == "mine"           # not a catalogue name: the file


@pytest.mark.parametrize("bad", ["t9", "T9", "trial_one"])
def test_unknown_name_lists_the_catalogue(bad):
    with pytest.raises(InvalidParameterError, match=rf"`source` '{bad}'.*t1, t2, .*, m3"):
        load_design(bad)


def test_bad_source_type_and_missing_file():
    with pytest.raises(InvalidParameterError, match="source"):
        load_design(3)
    with pytest.raises(InvalidParameterError, match="does not exist"):
        load_design("no/such/design.yaml")


def test_design_types_are_registered_not_imported():
    import ast
    import inspect

    from workbench.design import _load

    tree = ast.parse(inspect.getsource(_load))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not any(m.lstrip(".") in {"survival", "binary", "continuous", "meta"} for m in imported)
    assert set(_load._DESIGN_TYPES) == {"SurvivalDesign", "BinaryDesign", "ContinuousDesign",
                                        "MetaAnalysisDesign"}
    with pytest.raises(InvalidParameterError, match="from_dict"):
        wb.design.register_design_type(object())
