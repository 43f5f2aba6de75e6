"""Notebook 01 (executed with papermill through run_notebook) and the T1 job: the notebook takes
its parameters, records what the library computes, and the job writes the data, notebook, HTML and
results under one folder."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.jobs import run_t1_job

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_recurrence_followup.ipynb"

pytestmark = pytest.mark.notebook


def test_notebook_01_with_small_parameters(tmp_path):
    params = {"n_combination": 20, "n_pharmacotherapy": 25, "p_combination": 0.3,
              "p_pharmacotherapy": 0.6, "horizon": 24, "follow_up": 24, "accrual_time": 6,
              "dropout_probability": 0.05, "seed": 3, "ties": "breslow"}
    out = tmp_path / "nb01.ipynb"
    wb.run_notebook(NOTEBOOK, out, parameters=params)
    rec = wb.read_results(out)

    # the notebook analysed the trial the parameters describe
    design = wb.SurvivalDesign.from_probabilities(
        {"combination": 0.3, "pharmacotherapy": 0.6}, at=24,
        sizes={"combination": 20, "pharmacotherapy": 25}, accrual_time=6, follow_up=24,
        dropout_probability=0.05, dropout_time=24)
    df = wb.simulate_trial(design, rng=3)
    expected = wb.analyze_survival(df, time="time", event="event", group="arm",
                                   times=[6, 12, 24], tau=24, ties="breslow",
                                   reference="pharmacotherapy")
    assert rec["counts"]["patients"].tolist() == [20, 25]
    assert rec["counts"]["recurrences"].sum() == df["event"].sum()
    cox = expected.cox.coefficients.iloc[0]
    assert rec["hazard_ratio"] == pytest.approx(cox["hazard_ratio"], rel=1e-12)
    assert rec["logrank_p"] == pytest.approx(expected.logrank.p_value, rel=1e-12)
    assert rec["rmst_difference"] == pytest.approx(expected.rmst.differences["difference"].iloc[0])
    assert set(rec["km"]["time"]) == {6, 12, 24}
    # and independently of the library: statsmodels (Cox with Breslow ties, log-rank) and
    # lifelines (Kaplan-Meier areas up to 24 months)
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import survdiff

    x = (df["arm"] == "combination").to_numpy(float)[:, None]
    fit = PHReg(df["time"].to_numpy(), x, status=df["event"].to_numpy(), ties="breslow").fit()
    assert rec["hazard_ratio"] == pytest.approx(float(np.exp(fit.params[0])), rel=1e-6)
    _, p = survdiff(df["time"].to_numpy(), df["event"].to_numpy(), df["arm"].to_numpy())
    assert rec["logrank_p"] == pytest.approx(p, rel=1e-9)
    areas = {}
    for arm, sub in df.groupby("arm"):
        kmf = KaplanMeierFitter().fit(sub["time"], sub["event"])
        areas[arm] = restricted_mean_survival_time(kmf, t=24)
    assert rec["rmst_difference"] == pytest.approx(
        areas["combination"] - areas["pharmacotherapy"], rel=1e-9)
    assert "hazard of recurrence" in rec["conclusion"]


def test_notebook_01_rejects_unknown_parameter(tmp_path):
    with pytest.raises(wb.InvalidParameterError, match="n_combination"):
        wb.run_notebook(NOTEBOOK, tmp_path / "x.ipynb", parameters={"n_combo": 3})


def test_t1_job_writes_everything(tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "t1"
    assert main(["report", "t1", "--out", str(out), "--seed", "11"]) == 0
    printed = capsys.readouterr().out
    assert str(out.resolve()) in printed
    for name in ["01_recurrence_followup.ipynb", "01_recurrence_followup.html", "results.json",
                 "results.csv", "km.csv", "data/patients.csv", "data/adtte.csv", "data/adsl.csv",
                 "data/dictionary.csv"]:
        assert (out / name).is_file(), name
    # seed 11 is the calibrated synthetic data set: the job's data are those, byte for byte
    synthetic = ROOT / "synthetic_data" / "t1_recurrence"
    assert (out / "data" / "patients.csv").read_bytes() == (synthetic / "patients.csv").read_bytes()
    doc = json.loads((out / "results.json").read_text())
    # the job's own analysis and the notebook's recorded results agree
    assert doc["notebook"]["results"]["hazard_ratio"] == pytest.approx(
        doc["analysis"]["cox"][0]["hazard_ratio"], rel=1e-12)
    # and both are the analysis of the published data set through the command line
    assert main(["survival", str(synthetic / "patients.csv"), "--time", "time", "--event", "event",
                 "--group", "arm", "--reference", "pharmacotherapy", "--tau", "48", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["logrank"]["statistic"] == pytest.approx(doc["analysis"]["logrank"]["statistic"])
    # lifelines' log-rank test of the same data set
    from lifelines.statistics import logrank_test

    data = pd.read_csv(synthetic / "patients.csv")
    a, b = data[data["arm"] == "combination"], data[data["arm"] == "pharmacotherapy"]
    ref = logrank_test(a["time"], b["time"], a["event"], b["event"]).test_statistic
    assert doc["analysis"]["logrank"]["statistic"] == pytest.approx(ref, rel=1e-9)
    table = pd.read_csv(out / "results.csv")
    assert {"comparison", "estimate", "ci_lower", "ci_upper", "p_value"} <= set(table.columns)
    assert "<html" in (out / "01_recurrence_followup.html").read_text()[:500].lower()


def test_notebook_01_without_loss_to_follow_up_and_short_follow_up(tmp_path):
    """No loss to follow-up (probability 0), follow-up shorter than the first reporting time,
    and combination worse than pharmacotherapy: the conclusion says "shorter"."""
    params = {"n_combination": 30, "n_pharmacotherapy": 30, "p_combination": 0.6,
              "p_pharmacotherapy": 0.2, "horizon": 4, "follow_up": 4, "accrual_time": 0,
              "dropout_probability": 0.0, "seed": 2}
    out = tmp_path / "nb01.ipynb"
    wb.run_notebook(NOTEBOOK, out, parameters=params)
    rec = wb.read_results(out)
    assert rec["counts"]["lost_to_follow_up"].tolist() == [0, 0]
    assert list(rec["km"]["time"].unique()) == [1.0, 2.0, 3.0, 4.0]  # quarters of 4 months
    assert rec["rmst_difference"] < 0
    assert "months shorter on average" in rec["conclusion"]
    assert "design: 60% vs 20% by 4 months" in rec["conclusion"]


@pytest.mark.parametrize("change, match", [
    ({"follow_up_type": "calendar"}, "follow_up_type"),
    ({"arms": ({"name": "combination", "n": 41,
                "event_time": {"distribution": "weibull", "shape": 1.5, "median": 80}},
               {"name": "pharmacotherapy", "n": 51, "event_time": {"median": 50}})},
     r"arms\[combination\]\.event_time"),
    ({"arms": ({"name": "pharmacotherapy", "n": 51, "event_time": {"median": 50}},
               {"name": "combination", "n": 41, "event_time": {"median": 80}})}, "in that order"),
])
def test_t1_job_rejects_designs_the_notebook_cannot_rebuild(tmp_path, change, match):
    import dataclasses

    design = dataclasses.replace(wb.load_design("t1"), **change)
    with pytest.raises(wb.InvalidParameterError, match=match):
        run_t1_job(tmp_path / "t1", design=design)
    assert not (tmp_path / "t1").exists()
