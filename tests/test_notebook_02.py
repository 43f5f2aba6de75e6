"""Notebook 02 (remission trials) run with tiny parameters: its recorded results are the library's
numbers, the R/rpact reference values, and simulation agrees with the closed form."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from tests.helpers import ROOT, reference_cases

NOTEBOOK = ROOT / "notebooks" / "02_remission_trials.ipynb"
RATES = reference_cases("rates_analysis")
POWER = reference_cases("sample_size_rates")

pytestmark = pytest.mark.notebook


def _rpact_power(p1, p2, n1, n2, alpha=0.05):
    """rpact getPowerRates' normal approximation, two-sided.

    As tests/reference/r/sample_size_rates.R writes it out (``power_rpact_form``: the variance
    ratio folded into the drift, both tails).
    """
    import math

    from scipy.stats import norm

    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    s0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    s1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = norm.ppf(1 - alpha / 2)
    drift = abs(p1 - p2) / s1 + z * (1 - s0 / s1)
    return norm.cdf(drift - z) + norm.cdf(-drift - z)


def test_t4_from_the_synthetic_data(tmp_path):
    out = tmp_path / "nb02.ipynb"
    wb.run_notebook(NOTEBOOK, out, parameters={"trial": "T4", "n_sims": 300, "seed": 5})
    rec = wb.read_results(out)
    ref = RATES["T4_remission_pdt_vs_fluoxetine"]["outputs"]
    rates = rec["rates"].set_index("group")
    assert (rates.loc["pdt", "events"], rates.loc["pdt", "n"]) == (14, 25)
    assert rates.loc["pdt", "ci_lower"] == pytest.approx(ref["per_arm"]["arm1"]["wilson"]["lower"],
                                                         rel=1e-6)
    assert rec["risk_difference"] == pytest.approx(ref["risk_difference"]["rd"], rel=1e-6)
    assert rec["risk_difference_ci"] == pytest.approx(
        [ref["risk_difference"]["newcombe_hybrid_score"]["lower"],
         ref["risk_difference"]["newcombe_hybrid_score"]["upper"]], rel=1e-6)
    assert rec["p_fisher"] == pytest.approx(ref["fisher"]["p"], abs=1e-8)
    assert rec["p_chisq"] == pytest.approx(ref["prop_test_2sample"]["no_correction"]["p"], abs=1e-8)
    assert list(rec["sensitivity"]["missing"]) == ["nri", "complete_case"]
    # no post-hoc power: the smallest differences the trials could detect with 80% power. Every
    # reported difference had less power than that (rpact getPowerRates), so each detectable
    # difference is larger than the one observed, and rpact's normal approximation (pooled
    # variance under H0, unpooled under H1), written out here and checked against
    # rpact, gives 80% at the detectable rate
    dd = rec["detectable_differences"].set_index("trial")
    assert "power" not in dd.columns and "power_table" not in rec
    for trial, case in (("T2", "rpact_power_rates_p09_p28_n37_37"),
                        ("T4", "rpact_power_rates_p57_p68_n25_26")):
        inp, out = POWER[case]["inputs"], POWER[case]["outputs"]
        assert _rpact_power(inp["pi1"], inp["pi2"], inp["n1"], inp["n2"]) == pytest.approx(
            out["power"], rel=1e-6)
        assert out["power"] < 0.8
        detectable, observed = dd.loc[trial, ["detectable_difference", "observed_difference"]]
        assert abs(detectable) > abs(observed)
    for trial, row in dd.iterrows():
        if trial == "T5":
            continue
        rows = row.to_frame().T if isinstance(row, pd.Series) else row
        for r in rows.itertuples():
            assert _rpact_power(r.detectable_rate, r.p_reference, r.n_group, r.n_reference) == \
                pytest.approx(0.8, abs=1e-6)
    assert dd.loc["T2", "detectable_difference"] < 0 < dd.loc["T4", "detectable_difference"]
    assert dd.loc["T5", "test"].startswith("non-inferiority")
    assert 0 < dd.loc["T5", "power_at_equal_rates"] < 1
    # forest: five trials, T3 twice; T2 on the benefit scale (no longer depressed)
    forest = rec["forest"]
    assert list(forest["trial"]) == ["T2", "T3", "T3", "T4", "T5", "T6"]
    t2 = RATES["T2_still_depressed_combination_vs_clomipramine"]["outputs"]["risk_difference"]
    assert forest.iloc[0]["estimate"] == pytest.approx(-t2["rd"], rel=1e-9)
    assert forest.iloc[0]["ci_lower"] == pytest.approx(-t2["newcombe_hybrid_score"]["upper"],
                                                       rel=1e-9)
    # simulated power at the smallest detectable difference of the analysed trial: the closed form
    # gives 80% there, the simulation agrees within Monte Carlo error (4 SE, plus 0.03 for the
    # normal approximation at 25 patients per arm)
    sim = rec["simulated_power"]
    assert sim["closed_form_power"] == pytest.approx(0.8, abs=1e-6)
    assert abs(sim["power"] - sim["closed_form_power"]) < 4 * sim["mcse"] + 0.03
    # the 0.03 is the test's discreteness at this size: against its exact rejection rate (each
    # arm's count binomial with its imputed rate; the pooled z-test written out) only Monte Carlo
    # error remains
    import numpy as np
    from scipy import stats

    rates = wb.BinaryDesign.from_dict(dict(rec["simulated_design"])).expected_rates()
    rates = rates.set_index("arm")
    (n1, r1), (n2, r2) = [(int(rates.loc[a, "n"]), rates.loc[a, "rate_nri"])
                          for a in ("pdt", "fluoxetine")]
    assert (n1, n2) == (25, 26) and r2 == pytest.approx(0.68, abs=1e-12)
    x1, x2 = np.arange(n1 + 1)[:, None], np.arange(n2 + 1)[None, :]
    weight = stats.binom.pmf(x1, n1, r1) * stats.binom.pmf(x2, n2, r2)
    pbar = (x1 + x2) / (n1 + n2)
    with np.errstate(invalid="ignore"):
        z = (x1 / n1 - x2 / n2) / np.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    exact = float(weight[np.abs(z) >= stats.norm.ppf(0.975)].sum())
    assert abs(sim["power"] - exact) < 4 * np.sqrt(exact * (1 - exact) / sim["n_reps"])
    assert "T4" in rec["conclusion"] and "80% power" in rec["conclusion"]
    assert "for the difference it reported" not in rec["conclusion"]


def test_custom_arms_simulated(tmp_path):
    arms = [{"name": "pdt", "n": 30, "p": 0.5}, {"name": "control", "n": 30, "p": 0.3}]
    params = {"trial": "custom", "custom_arms": arms, "custom_reference": "control",
              "data_source": "simulate", "missing": "nri", "margin": -0.2, "covariates": [],
              "dropout": 0.1, "n_sims": 200, "seed": 9}
    out = tmp_path / "nb02c.ipynb"
    wb.run_notebook(NOTEBOOK, out, parameters=params)
    rec = wb.read_results(out)
    design = wb.BinaryDesign(arms, reference="control", dropout=0.1, missing="nri", margin=-0.2,
                             name="custom")
    df = wb.simulate_trial(design, rng=9, covariates=True)
    expected = wb.compare_rates(df, outcome="outcome", group="arm", missing="nri",
                                reference="control", margin=-0.2)
    row = expected.comparisons.iloc[0]
    assert rec["risk_difference"] == pytest.approx(row["risk_difference"], rel=1e-12)
    assert rec["p_fisher"] == pytest.approx(row["p_fisher"], rel=1e-12)
    assert rec["noninferiority"]["p_value"] == pytest.approx(expected.noninferiority[0].p_value)
    assert "sensitivity" not in rec
    assert rec["forest"].iloc[-1]["label"] == "this analysis (custom)"
    assert rec["design"]["arms"][0]["n"] == 30


def test_unknown_parameter_is_rejected(tmp_path):
    with pytest.raises(wb.InvalidParameterError, match="trial"):
        wb.run_notebook(NOTEBOOK, tmp_path / "x.ipynb", parameters={"trail": "T4"})
