"""Simulation of time-to-event trials: calibration against the design's closed forms,
reproducibility, common random numbers, exports."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import (
    InvalidParameterError,
    SurvivalDesign,
    load_design,
    simulate_arrays,
    simulate_trial,
)
from workbench.design import Arm, PiecewiseExponential, Weibull
from workbench.simulate.export import to_adam

ROOT = Path(__file__).resolve().parents[1]


def _within(observed, expected, n, k=4.0):
    """|observed - expected| within k binomial Monte Carlo standard errors."""
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) <= k * se, (observed, expected, se)


def test_event_probability_with_dropout_matches_closed_form():
    # P(event observed by 48) = lam / (lam + delta) * (1 - exp(-(lam + delta) 48)), fixed follow-up
    d = load_design("t1")
    sims = simulate_arrays(d, 4000, rng=7)
    delta = d.dropout_rate
    for i, arm in enumerate(d.arms):
        lam = arm.event_time.hazard
        expected = lam / (lam + delta) * -math.expm1(-(lam + delta) * 48)
        ev = sims.event[:, sims.arm == i]
        _within(ev.mean(), expected, ev.size)
        # latent event times follow the design: P(T <= 48) = 0.27 / 0.47
        _within((sims.event_time[:, sims.arm == i] <= 48).mean(), float(arm.cdf(48)), ev.size)
    assert sims.time.max() <= 48


def test_calendar_follow_up_counts_after_accrual():
    # accrual 24, follow-up 12 after accrual: admin follow-up = 36 - entry, uniform on [12, 36]
    d = SurvivalDesign.from_probabilities(
        {"a": 0.3, "b": 0.5}, at=12, n_total=200, accrual_time=24, follow_up=12,
        follow_up_type="calendar"
    )
    sims = simulate_arrays(d, 200, rng=1)
    assert np.allclose(sims.admin_time, 36 - sims.entry)
    assert sims.admin_time.min() >= 12 and sims.admin_time.max() <= 36
    # P(event) = E_entry[1 - exp(-lam (36 - entry))] = 1 - (exp(-12 lam) - exp(-36 lam)) / (24 lam)
    lam = d.arms[0].event_time.hazard
    expected = 1 - (math.exp(-12 * lam) - math.exp(-36 * lam)) / (24 * lam)
    _within(sims.event[:, sims.arm == 0].mean(), expected, 200 * 100)


def test_weibull_piecewise_and_cure_distributions():
    d = SurvivalDesign(
        arms=(
            Arm("w", 500, Weibull(1.7, 30.0)),
            Arm("p", 500, PiecewiseExponential((0, 6), (0.05, 0.01))),
            Arm("c", 500, Weibull(1.0, 20.0), cure_fraction=0.3),
        ),
        follow_up=1000,
    )
    sims = simulate_arrays(d, 20, rng=3)
    w = sims.event_time[:, sims.arm == 0].ravel()
    assert stats.kstest(w, lambda t: d.arms[0].cdf(t)).pvalue > 1e-3
    p = sims.event_time[:, sims.arm == 1].ravel()
    assert stats.kstest(p, lambda t: d.arms[1].cdf(t)).pvalue > 1e-3
    c = sims.event_time[:, sims.arm == 2].ravel()
    _within(np.isinf(c).mean(), 0.3, c.size)


def test_same_seed_same_data_and_common_random_numbers():
    d = load_design("t1")
    a = simulate_trial(d, rng=11)
    b = simulate_trial(d, rng=11)
    pd.testing.assert_frame_equal(a, b)
    assert not simulate_trial(d, rng=12)["time"].equals(a["time"])
    # the first patients of each arm get the same numbers whatever the arm sizes
    big = simulate_trial(d.with_sizes([60, 70]), rng=11)
    small_first = a[a["arm"] == "combination"]["event_time"].to_numpy()
    big_first = big[big["arm"] == "combination"]["event_time"].to_numpy()[:41]
    np.testing.assert_array_equal(small_first, big_first)


def test_dataframe_is_tidy_and_consistent():
    df = simulate_trial(load_design("t1"), rng=5)
    assert len(df) == 92 and df["id"].is_unique
    ev = df["event"] == 1
    assert df.loc[ev, "censoring_reason"].isna().all()
    assert set(df.loc[~ev, "censoring_reason"]) <= {"administrative", "lost to follow-up"}
    assert np.allclose(df.loc[ev, "time"], df.loc[ev, "event_time"])
    assert (df.loc[df["censoring_reason"] == "administrative", "time"] == 48).all()
    assert np.allclose(df["exit_time"], df["entry_time"] + df["time"])


def test_adam_shape():
    df = simulate_trial(load_design("t1"), rng=5)
    adsl, adtte = to_adam(df, studyid="T1")
    assert adsl["USUBJID"].is_unique and len(adsl) == 92
    for col in ["STUDYID", "USUBJID", "TRT01P", "PARAMCD", "PARAM", "AVAL", "AVALU", "CNSR",
                "EVNTDESC", "CNSDTDSC"]:
        assert col in adtte.columns
    assert (adtte["CNSR"] == 1 - df["event"]).all()
    assert (adtte.loc[adtte["CNSR"] == 1, "EVNTDESC"] == "").all()
    assert set(adtte.loc[adtte["CNSR"] == 1, "CNSDTDSC"]) <= {"END OF FOLLOW-UP",
                                                              "LOST TO FOLLOW-UP"}


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="n_reps"):
        simulate_arrays(load_design("t1"), 0, rng=1)
    with pytest.raises(InvalidParameterError, match="design"):
        simulate_trial({"arms": []}, rng=1)
    with pytest.raises(InvalidParameterError, match="rng"):
        simulate_trial(load_design("t1"), rng="seed")


def test_t1_synthetic_data_regenerates_byte_for_byte(tmp_path):
    import subprocess
    import sys

    folder = ROOT / "synthetic_data" / "t1_recurrence"
    subprocess.run([sys.executable, str(folder / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in ["patients.csv", "adsl.csv", "adtte.csv", "dictionary.csv", "design.yaml"]:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "patients.parquet"),
                                  pd.read_parquet(folder / "patients.parquet"))


def test_simulate_command_writes_reproducible_files(tmp_path, capsys):
    from workbench.cli import main

    assert main(["simulate", "t1", "--seed", "3", "--out", str(tmp_path / "a")]) == 0
    # the design file written beside the data reproduces the data
    design_file = tmp_path / "a" / "design.yaml"
    assert main(["simulate", str(design_file), "--seed", "3", "--out", str(tmp_path / "b")]) == 0
    first, second = tmp_path / "a" / "patients.csv", tmp_path / "b" / "patients.csv"
    assert first.read_bytes() == second.read_bytes()
    assert main(["simulate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "c")]) == 2
    assert "design" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("arms:\n- {name: a, n: 10, event_time: {probability: 1.5, time: 48}}\n"
                   "- {name: b, n: 10, event_time: {hazard: 0.01}}\n")
    assert main(["simulate", str(bad), "--out", str(tmp_path / "d")]) == 2
    assert "probability" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("design_file", ["t2_t6_remission/t4_design.yaml",
                                         "continuous/t7_design.yaml"])
def test_simulate_command_reads_other_design_types(tmp_path, design_file):
    from workbench.cli import main

    path = ROOT / "synthetic_data" / design_file
    assert main(["simulate", str(path), "--seed", "5", "--out", str(tmp_path)]) == 0
    written = pd.read_csv(tmp_path / "patients.csv")
    expected = simulate_trial(load_design(path), rng=5)
    assert len(written) == len(expected)
    # the file holds the library's data set for that seed, value for value
    expected.to_csv(tmp_path / "expected.csv", index=False)
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "expected.csv"))
    # the written design reads back as the same design
    assert load_design(tmp_path / "design.yaml") == load_design(path)


def test_load_design_rejects_unknown_type(tmp_path):
    f = tmp_path / "d.yaml"
    f.write_text("type: MagicDesign\narms: []\n")
    with pytest.raises(InvalidParameterError, match="type"):
        load_design(f)
