"""Simulation of binary-outcome trials: structure, reproducibility, and agreement with the design's
analytic rates and with analytic power within Monte Carlo error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.analysis.rates import two_proportion_pvalues
from workbench.design import BinaryArm, BinaryDesign, load_design
from workbench.exceptions import InvalidParameterError
from workbench.simulate import simulate_arrays, simulate_trial
from workbench.simulate.binary import (
    BINARY_COLUMNS,
    simulate_binary,
    simulate_binary_arrays,
    simulate_binary_counts,
)


def test_dataframe_structure_and_consistency():
    d = load_design("t3").with_dropout(0.2)
    df = simulate_trial(d, rng=11)
    assert tuple(df.columns) == BINARY_COLUMNS
    assert df["id"].tolist() == list(range(1, 157))
    assert df.groupby("arm", sort=False).size().tolist() == [51, 52, 53]
    dropped = df["dropped_out"]
    assert df.loc[dropped, "outcome"].isna().all() and df.loc[~dropped, "outcome"].notna().all()
    assert (df.loc[~dropped, "outcome"] == df.loc[~dropped, "outcome_latent"]).all()
    assert (df.loc[dropped, "outcome_nri"] == 0).all()
    assert df.loc[dropped, "dropout_week"].between(0, 16).all()
    assert df.loc[~dropped, "dropout_week"].isna().all()
    pdt = df[df["arm"] == "pdt"]
    assert pdt["stage1_response"].isna().all() and not pdt["switched"].any()
    two = df[df["arm"] != "pdt"]
    early = two["dropped_out"] & (two["dropout_week"] < 8)
    assert two.loc[early, "stage1_response"].isna().all() and not two.loc[early, "switched"].any()
    assert (two.loc[~early, "switched"] == (two.loc[~early, "stage1_response"] == 0)).all()


def test_bad_outcome_imputes_missing_as_failure():
    df = simulate_binary(load_design("t2").with_dropout(0.05, nri_rates=False), rng=4)
    assert (df.loc[df["dropped_out"], "outcome_nri"] == 1).all()


def test_reproducible_and_dispatch():
    d = load_design("t4").with_dropout(0.1)
    a, b = simulate_trial(d, rng=5), simulate_binary(d, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)
    assert not simulate_trial(d, rng=6).equals(a)
    arr = simulate_arrays(d, 1, rng=5)  # the DataFrame is the one-replicate array draw
    np.testing.assert_array_equal(arr.outcome_nri[0], a["outcome_nri"].to_numpy().astype(bool))


def test_common_random_numbers_across_arm_sizes():
    d = load_design("t4").with_dropout(0.1)
    small = simulate_binary_arrays(d, 50, rng=9)
    big = simulate_binary_arrays(d.with_sizes([40, 26]), 50, rng=9)
    np.testing.assert_array_equal(small.outcome_latent[:, :25], big.outcome_latent[:, :25])
    np.testing.assert_array_equal(small.dropped_out[:, :25], big.dropped_out[:, :25])


def test_covariates_do_not_change_outcomes():
    d = load_design("t6").with_dropout(0.1)
    plain = simulate_binary(d, rng=8)
    cov = simulate_binary(d, rng=8, covariates=True)
    pd.testing.assert_frame_equal(cov[list(BINARY_COLUMNS)], plain)
    assert cov["baseline_hamd"].between(14, 35).all() and set(cov["sex"]) == {"female", "male"}
    # lower baseline severity goes with the outcome
    means = cov.groupby("outcome_latent")["baseline_hamd"].mean()
    assert means[1] < means[0]


@pytest.mark.parametrize("trial,dropout", [("T2", 0.05), ("T3", 0.1), ("T4", 0.1), ("T5", 0.1),
                                           ("T6", 0.1)])
def test_exact_counts_reproduce_the_published_counts(trial, dropout):
    # the counts behind the R reference file (round(n * published rate))
    expected = {"T2": [3, 10], "T3": [11, 13, 11], "T4": [14, 18], "T5": [27, 27], "T6": [19, 26]}
    d = load_design(trial).with_dropout(dropout)
    for seed in (1, 2):
        df = simulate_binary(d, rng=seed, exact_counts=True, covariates=True)
        assert df.groupby("arm", sort=False)["outcome_nri"].sum().tolist() == expected[trial]
        drops = df.groupby("arm", sort=False)["dropped_out"].sum().tolist()
        assert drops == [min(math.floor(n * dropout + 0.5), n) for n in d.n_per_arm]


# ------------------------------------------------------------------ Monte Carlo vs analytic
def _check_rates(events, n, expected, reps):
    """Pooled rate per arm within 4 Monte Carlo standard errors of the analytic rate."""
    got = events.sum(axis=0) / n.sum(axis=0)
    se = np.sqrt(np.asarray(expected) * (1 - np.asarray(expected)) / n.sum(axis=0))
    assert np.all(np.abs(got - expected) < 4 * se), (got, expected, se)


@pytest.mark.parametrize("sim", ["arrays", "counts"])
def test_simulated_rates_agree_with_the_design(sim):
    reps = 4000
    d = load_design("t3").with_dropout(0.2, nri_rates=False)
    s = (simulate_binary_arrays if sim == "arrays" else simulate_binary_counts)(d, reps, rng=21)
    exp = d.expected_rates()
    _check_rates(*s.counts("nri"), exp["rate_nri"].to_numpy(), reps)
    _check_rates(*s.counts("complete_case"), exp["rate_complete_case"].to_numpy(), reps)
    _check_rates(*s.counts("latent"), exp["p"].to_numpy(), reps)
    # switching: stage-1 non-responders who had not dropped out before week 8
    switched = s.switched.reshape(reps, -1)
    if sim == "arrays":
        switched = np.column_stack([switched[:, s.arm == k].sum(axis=1) for k in range(3)])
    for k, arm in enumerate(d.arms):
        if arm.switch is None:
            assert switched[:, k].sum() == 0
            continue
        q = (1 - arm.switch.response) * (1 - 0.2 * 8 / 16)
        got = switched[:, k].sum() / (reps * arm.n)
        assert abs(got - q) < 4 * math.sqrt(q * (1 - q) / (reps * arm.n))


def _analytic_power(p1, p2, n1, n2, alpha=0.05):
    """Normal approximation to the power of the pooled two-proportion test (both tails)."""
    z = stats.norm.ppf(1 - alpha / 2)
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    s0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    s1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    d = abs(p1 - p2)
    return stats.norm.cdf((d - z * s0) / s1) + stats.norm.cdf((-d - z * s0) / s1)


def _power_check(reps, seed):
    d = BinaryDesign([BinaryArm("a", 300, 0.30), BinaryArm("b", 300, 0.40)], dropout=0.1)
    s = simulate_binary_arrays(d, reps, rng=seed)
    e, n = s.counts("nri")
    p = two_proportion_pvalues(e[:, 1], n[:, 1], e[:, 0], n[:, 0], test="chisq")
    power = float(np.mean(p < 0.05))
    exp = d.expected_rates()["rate_nri"].to_numpy()
    target = _analytic_power(exp[0], exp[1], 300, 300)
    mcse = math.sqrt(target * (1 - target) / reps)
    # 4 Monte Carlo SEs plus 0.01 for the normal approximation of the chi-square test
    assert abs(power - target) < 4 * mcse + 0.01, (power, target, mcse)
    # exactly: with drop-outs imputed as failures each arm's count is binomial(300, rate_nri);
    # the rejection rate of Pearson's chi-square (pooled z, written out here) summed over all
    # 301 x 301 outcomes leaves only Monte Carlo error
    x1, x2 = np.arange(301)[:, None], np.arange(301)[None, :]
    weight = stats.binom.pmf(x1, 300, exp[1]) * stats.binom.pmf(x2, 300, exp[0])
    pbar = (x1 + x2) / 600
    with np.errstate(invalid="ignore"):  # 0/0 where all or none have the outcome: no rejection
        z = (x1 - x2) / 300 / np.sqrt(pbar * (1 - pbar) * 2 / 300)
    exact = float(weight[np.abs(z) >= stats.norm.ppf(0.975)].sum())
    assert abs(power - exact) < 4 * math.sqrt(exact * (1 - exact) / reps), (power, exact)


def test_simulated_power_matches_normal_approximation_small():
    _power_check(1000, 3)


@pytest.mark.slow
def test_simulated_power_matches_normal_approximation_large():
    _power_check(20000, 4)


@pytest.mark.slow
def test_type_one_error_under_the_null():
    d = BinaryDesign([BinaryArm("a", 120, 0.25), BinaryArm("b", 120, 0.25)], dropout=0.15)
    c = simulate_binary_counts(d, 100_000, rng=5)
    e, n = c.counts("complete_case")
    p = two_proportion_pvalues(e[:, 1], n[:, 1], e[:, 0], n[:, 0])
    rate = float(np.mean(p < 0.05))
    assert abs(rate - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 100_000) + 0.005


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="n_reps"):
        simulate_binary_arrays(load_design("t4"), 0)
    with pytest.raises(InvalidParameterError, match="design"):
        simulate_binary_arrays("T4", 10)
    with pytest.raises(InvalidParameterError, match="rng"):
        simulate_binary(load_design("t4"), rng="seed")
    with pytest.raises(InvalidParameterError, match="missing"):
        simulate_binary_counts(load_design("t4"), 5, rng=1).counts("impute")
