"""The path that ``analyze_survival`` takes for large files, at a small size.

``analyze_survival`` validates the data once, computes each group's Kaplan-Meier curve once and
shares it between the curves, medians, RMST and cumulative incidence; the validators read each
distinct label once. Checked here against an independent implementation (lifelines 0.30) on 2,000
rows with tied times and censoring, and against the single-purpose functions on awkward input
(integer times, numeric and text group labels, 0/1 written as words). The speed itself is measured
by ``benchmarks/survival_scale.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.survival import (
    analyze_survival,
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    logrank_test,
    median_survival,
    rmst,
)

TIMES = [6.0, 12.0, 24.0, 36.0]


def _data(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    """Two arms, exponential times rounded to 0.5 months (many ties), uniform censoring."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    t_event = rng.exponential(np.where(arm == 1, 18.0, 12.0))
    t_cens = rng.uniform(2, 48, n)
    return pd.DataFrame({"time": np.round(np.minimum(t_event, t_cens) * 2) / 2,
                         "event": (t_event <= t_cens).astype(int),
                         "arm": np.where(arm == 1, "exp", "ctl")})


@pytest.fixture(scope="module")
def data():
    df = _data()
    assert df["time"].duplicated().sum() > 1500 and 0.3 < df["event"].mean() < 0.8
    return df


@pytest.fixture(scope="module")
def res(data):
    return analyze_survival(data, time="time", event="event", group="arm", times=TIMES, tau=40)


def test_kaplan_meier_and_median_against_lifelines(data, res):
    from lifelines import KaplanMeierFitter

    for arm, d in data.groupby("arm"):
        kmf = KaplanMeierFitter().fit(d["time"], d["event"])
        got = res.km.table[res.km.table["group"] == arm]
        expected = kmf.survival_function_at_times(TIMES).to_numpy()
        np.testing.assert_allclose(got["survival"], expected, rtol=1e-10)
        med = res.median.table.set_index("group").loc[arm, "median"]
        assert med == pytest.approx(kmf.median_survival_time_, rel=1e-12)


def test_logrank_against_lifelines(data, res):
    from lifelines.statistics import logrank_test as ll_logrank

    a, b = data[data["arm"] == "ctl"], data[data["arm"] == "exp"]
    expected = ll_logrank(a["time"], b["time"], a["event"], b["event"])
    assert res.logrank.statistic == pytest.approx(expected.test_statistic, rel=1e-9)
    assert res.logrank.p_value == pytest.approx(expected.p_value, rel=1e-7)


def test_cox_efron_against_lifelines(data, res):
    from lifelines import CoxPHFitter

    d = data.assign(exp=(data["arm"] == "exp").astype(float))[["time", "event", "exp"]]
    cph = CoxPHFitter().fit(d, "time", "event")  # Efron ties, as coxph's default
    row = res.cox.coefficients.iloc[0]
    assert (row["level"], row["reference"]) == ("exp", "ctl")
    assert row["coef"] == pytest.approx(cph.params_["exp"], rel=1e-6)
    assert row["se"] == pytest.approx(cph.standard_errors_["exp"], rel=1e-5)


def test_rmst_against_lifelines(data, res):
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    for arm, d in data.groupby("arm"):
        kmf = KaplanMeierFitter().fit(d["time"], d["event"])
        got = res.rmst.table.set_index("group").loc[arm, "rmst"]
        assert got == pytest.approx(restricted_mean_survival_time(kmf, t=40), rel=1e-9)


def test_every_part_equals_its_own_function_on_awkward_input():
    """Integer times, numeric labels (2 sorts before 10) and events as words."""
    df = _data(300, seed=3)
    df = pd.DataFrame({"t": np.round(df["time"]).astype(int),
                       "e": np.where(df["event"] == 1, "yes", "no"),
                       "g": np.where(df["arm"] == "exp", 10, 2),
                       "s": np.where(np.arange(300) % 3 == 0, "x", "y")})
    kw = {"time": "t", "event": "e", "group": "g"}
    res = analyze_survival(df, **kw, strata="s", times=[6, 12], tau=30, reference="10")
    pd.testing.assert_frame_equal(
        res.km.curve, kaplan_meier(df, **kw, times=[6, 12]).curve)
    pd.testing.assert_frame_equal(res.km.table, kaplan_meier(df, **kw, times=[6, 12]).table)
    pd.testing.assert_frame_equal(res.median.table, median_survival(df, **kw).table)
    r = rmst(df, **kw, tau=30, reference="10")
    pd.testing.assert_frame_equal(res.rmst.table, r.table)
    pd.testing.assert_frame_equal(res.rmst.differences, r.differences)
    pd.testing.assert_frame_equal(res.cumulative_incidence.table,
                                  cumulative_incidence(df, **kw, at=30).table)
    lr = logrank_test(df, **kw, strata="s")
    assert (res.logrank.statistic, res.logrank.groups) == (lr.statistic, ("2", "10"))
    pd.testing.assert_frame_equal(res.cox.coefficients,
                                  cox_ph(df, **kw, strata="s", reference="10").coefficients)
    assert res.settings["n"] == 300 and res.settings["events"] == int((df["e"] == "yes").sum())


def test_labels_that_read_the_same_are_one_group():
    """1 and 1.0 in an object column are the same group ("1"), as label_text writes them."""
    df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
                       "arm": pd.Series([1, 1.0, 2, 2.0, "1", 2], dtype=object)})
    assert kaplan_meier(df, time="time", event="event", group="arm").groups == ("1", "2")
