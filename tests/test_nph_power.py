"""Fixed-design sample size and power under non-proportional hazards (``workbench power nph``).

Reference: tests/reference/nph_published.json, gsDesign2's published fixed designs for the
delayed-effect scenario (control median 12, hazard ratio 1 to month 4 then 0.6, accrual 18,
analysis at 36, drop-out hazard 0.001, one-sided alpha 0.025, power 0.9): the average hazard ratio
method and the FH(0,0) weighted log-rank method, compared at 2e-5 relative.

Simulated power at the published sizes is compared with the closed form within
``3.5 * MCSE + 0.015``: 3.5 Monte Carlo standard errors plus 0.015 for the asymptotic
approximation itself (both closed forms are large-sample approximations of the log-rank test).
"""

from __future__ import annotations

import pytest

import workbench as wb
from tests.helpers import reference_cases, run_error, run_json
from workbench.design import nph_design
from workbench.power.nph import power_nph

REF = reference_cases("nph_published")
REL = 2e-5
SCENARIO = ["--control-median", "12", "--hr", "1,0.6", "--change-at", "4", "--accrual", "18",
            "--study-duration", "36", "--dropout-hazard", "0.001", "--alpha", "0.025",
            "--sided", "1"]
TESTS = {"ahr_fixed": "ahr", "fh00_fixed": "logrank"}


def _design(n_total=400):
    return nph_design(control_median=12, hazard_ratios=(1, 0.6), change_times=(4,),
                      n_total=n_total, accrual_time=18, study_duration=36, dropout_rate=0.001)


@pytest.mark.parametrize("case_id", list(TESTS))
def test_matches_gsdesign2(case_id):
    out = REF[case_id]["outputs"]
    res = power_nph(_design(), test=TESTS[case_id], alpha=0.025, power=0.9, alternative="less")
    assert res.n_total_exact == pytest.approx(out["n"], rel=REL)
    assert res.events_exact == pytest.approx(out["events"], rel=REL)
    assert res.ahr == pytest.approx(out["ahr"], rel=REL)
    assert res.n_total == 464 if case_id == "ahr_fixed" else res.n_total == 460
    at_n = power_nph(_design(), test=TESTS[case_id], alpha=0.025, n_total=out["n"])
    assert at_n.power == pytest.approx(out["power"], rel=REL)


def test_exact_integration_differs_only_by_the_published_tolerance():
    out = REF["fh00_fixed"]["outputs"]
    res = power_nph(_design(), test="logrank", alpha=0.025, power=0.9, exact=True)
    assert res.n_total_exact == pytest.approx(out["n"], rel=5e-5)


@pytest.mark.parametrize("case_id", list(TESTS))
def test_command_line(capsys, case_id):
    out = REF[case_id]["outputs"]
    data = run_json(capsys, ["power", "nph", *SCENARIO, "--power", "0.9", "--test",
                             TESTS[case_id], "--json"],
                    keys=["n_total_exact", "events_exact", "n_total", "events", "power",
                          "method", "ahr"])
    assert data["n_total_exact"] == pytest.approx(out["n"], rel=REL)
    assert data["events_exact"] == pytest.approx(out["events"], rel=REL)
    assert data["ahr"] == pytest.approx(out["ahr"], rel=REL)
    assert data["sided"] == 1 and data["alternative"] == "less"
    # the vocabulary's spellings give the same numbers
    same = run_json(capsys, ["power", "nph", "--control-median", "12", "--hazard-ratio", "1,0.6",
                             "--change-at", "4", "--accrual-time", "18", "--study-duration",
                             "36", "--dropout-rate", "0.001", "--alpha", "0.05",
                             "--allocation-ratio", "1", "--power", "0.9", "--test",
                             TESTS[case_id], "--json"])
    assert same["n_total_exact"] == pytest.approx(data["n_total_exact"], rel=1e-12)


@pytest.mark.parametrize("case_id", list(TESTS))
def test_simulated_power_at_published_size(case_id):
    out = REF[case_id]["outputs"]
    n = int(round(out["n"]))
    closed = power_nph(_design(), test=TESTS[case_id], alpha=0.025, n_total=n).power
    sim = wb.simulate_power(_design(n), test="logrank", n_reps=4000, alpha=0.025,
                            alternative="less", type1=False, rng=3)
    assert abs(sim.power - closed) <= 3.5 * sim.mcse + 0.015, (sim.power, closed)


def test_weighted_closed_forms_against_simulation():
    closed = power_nph(_design(360), test="fh:0:1", alpha=0.025, n_total=360).power
    sim = wb.simulate_power(_design(360), test="fh:0:1", n_reps=4000, alpha=0.025,
                            alternative="less", type1=False, rng=4)
    assert abs(sim.power - closed) <= 3.5 * sim.mcse + 0.015, (sim.power, closed)


def test_simulated_tests_report_monte_carlo_error(capsys):
    data = run_json(capsys, ["power", "nph", *SCENARIO, "--n", "400", "--test", "maxcombo",
                             "--reps", "1000", "--json"])
    assert data["method"].startswith("simulation") and 0 < data["mcse"] < 0.02
    assert data["n_total"] == 400 and data["ahr"] is None
    assert 0.8 < data["power"] < 0.98


@pytest.mark.parametrize("args, option", [
    (["--change-at", "6,4", "--hr", "1,0.8,0.6"], "--change-at"),
    (["--change-at", "4", "--hr", "1,0.8,0.6"], "--hr"),
    (["--hr", "1,-0.6"], "--hr"),
    (["--study-duration", "10"], "--study-duration"),
    (["--test", "wilcoxon"], "--test"),
    (["--test", "fh:-1:0"], "--test"),
    (["--alpha", "1.5"], "--alpha"),
    (["--control-median", "0"], "--control-median"),
])
def test_bad_input(capsys, args, option):
    argv = dict(zip(SCENARIO[::2], SCENARIO[1::2], strict=True))
    for flag, value in zip(args[::2], args[1::2], strict=True):
        argv[flag] = value
    flat = [x for kv in argv.items() for x in kv]
    err = run_error(capsys, ["power", "nph", *flat, "--power", "0.9", "--json"])
    assert option in err
