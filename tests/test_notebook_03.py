"""Notebook 03 (power analysis) run with tiny parameters: its recorded results are the library's
numbers and rpact's reference values, and its simulation agrees with the closed form."""

from __future__ import annotations

import pytest

import workbench as wb
from tests.helpers import ROOT, reference_cases

NOTEBOOK = ROOT / "notebooks" / "03_power_analysis.ipynb"
SURV = reference_cases("sample_size_survival")

pytestmark = pytest.mark.notebook


def test_default_scenario_gives_rpacts_sample_size(tmp_path):
    out = tmp_path / "nb03.ipynb"
    wb.run_notebook(NOTEBOOK, out, parameters={"n_reps": 300, "seed": 3})
    rec = wb.read_results(out)
    o = SURV["rpact_ss_surv_p27_p47_pow80_dropout10_schoenfeld"]["outputs"]
    assert rec["hazard_ratio"] == pytest.approx(o["hazard_ratio"], rel=1e-9)
    assert rec["events"] == o["derived_ceilings"]["events"]
    assert rec["n_total_closed_form"] == o["derived_ceilings"]["n_total"]
    c = o["derived_ceilings"]
    assert rec["n_per_arm_closed_form"] == [c["n1"], c["n2"]]
    assert rec["n_total_no_dropout"] == SURV["rpact_ss_surv_p27_p47_pow80_dropout00_schoenfeld"][
        "outputs"]["derived_ceilings"]["n_total"]
    assert rec["n_total"] == rec["n_total_closed_form"]
    # simulated power within 3 Monte Carlo SE of the closed form (Schoenfeld's bias ~0.01 << 3 MCSE)
    assert abs(rec["power_simulated"] - rec["power_closed_form"]) <= 3 * rec["mcse"]
    assert abs(rec["z_difference"]) <= 3
    table = rec["n_table"]
    row = table[(table.hazard_ratio == 0.6) & (table.power == 0.9)].iloc[0]
    ref = wb.power_survival(0.6, p2=0.47, at=48, accrual_time=24, follow_up=48, power=0.9,
                            dropout_probability=0.1, dropout_time=12)
    assert (row["events"], row["n_total"]) == (ref.events, ref.n_total)
    assert "184 patients (92 per arm)" in rec["paragraph"] and "Schoenfeld" in rec["paragraph"]
    assert set(rec["power_curve"].columns) >= {"n_total", "hazard_ratio", "power", "mcse",
                                               "power_closed_form"}


def test_pipeline_parameters_n_total_hazard_ratio_dropout(tmp_path):
    out = tmp_path / "nb03_grid.ipynb"
    params = {"n_total": 120, "hazard_ratio": 0.6, "dropout": 0.0, "n_reps": 200, "seed": 11}
    wb.run_notebook(NOTEBOOK, out, parameters=params)
    rec = wb.read_results(out)
    assert rec["hazard_ratio"] == pytest.approx(0.6, rel=1e-12)
    assert rec["n_total"] == 120 and rec["n_per_arm"] == [60, 60]
    ref = wb.power_survival(0.6, p2=0.47, at=48, n1=60, n2=60, accrual_time=24, follow_up=48)
    assert rec["power_closed_form"] == pytest.approx(ref.power, rel=1e-10)
    assert rec["events_expected"] == pytest.approx(ref.events_exact, rel=1e-10)
    assert abs(rec["power_simulated"] - rec["power_closed_form"]) <= 3 * rec["mcse"]
