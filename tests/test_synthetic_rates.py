"""synthetic_data/t2_t6_remission: regenerates byte for byte and holds the published counts."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from tests.helpers import ROOT, reference
from workbench.analysis.rates import arm_rates
from workbench.design import BinaryDesign, load_design

FOLDER = ROOT / "synthetic_data" / "t2_t6_remission"
REF = {c["id"].split("_")[0]: c["inputs"]
       for c in reference("rates_analysis")["cases"]}


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_t2_t6", FOLDER / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerates_byte_for_byte(tmp_path):
    gen = load_generator()
    written = gen.write_datasets(tmp_path)
    assert len(written) == 10
    for path in written:
        assert path.read_bytes() == (FOLDER / path.name).read_bytes(), path.name
    readme = (FOLDER / "README.md").read_text()
    assert ".venv/bin/python synthetic_data/t2_t6_remission/generate.py" in readme


@pytest.mark.parametrize("trial", ["T2", "T3", "T4", "T5", "T6"])
def test_published_sizes_and_counts(trial):
    df = pd.read_csv(FOLDER / f"{trial.lower()}.csv")
    design = BinaryDesign.from_file(FOLDER / f"{trial.lower()}_design.yaml")
    assert design == load_design(trial).with_dropout(design.dropout)
    r = arm_rates(df, outcome="outcome_nri", group="arm")
    got = dict(zip(r.groups, zip(r.events, r.totals, strict=True), strict=True))
    i = REF[trial]
    # the reference lists arms in the design's order
    if "x" in i:
        expected = list(zip(i["x"], i["n"], strict=True))
    else:
        expected = [(i["x1"], i["n1"]), (i["x2"], i["n2"])]
    assert [got[a] for a in design.arm_names] == expected
    # missing outcomes are exactly the drop-outs; NRI imputes them as failures
    assert (df["outcome"].isna() == (df["dropped_out"] == 1)).all()
    fail = 0 if design.higher_is_better else 1
    assert (df.loc[df["dropped_out"] == 1, "outcome_nri"] == fail).all()
    dictionary = pd.read_csv(FOLDER / "dictionary.csv")
    assert list(dictionary["column"]) == list(df.columns)
