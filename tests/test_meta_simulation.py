"""Simulation of bodies of trials with publication bias, the M1-M3 datasets and the meta plots."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from scipy import integrate, special, stats

import workbench
from workbench import InvalidParameterError
from workbench.analysis.meta import (
    effect_sizes,
    egger_replicates,
    egger_test,
    meta_analysis,
    pool_replicates,
    trim_and_fill,
)
from workbench.design import load_design
from workbench.design.meta import MetaAnalysisDesign, split_sizes
from workbench.power.meta import publication_bias
from workbench.simulate.meta import (
    BLOCK,
    META_DICTIONARY,
    make_meta_dataset,
    publication_probability,
    simulate_meta,
    simulate_meta_arrays,
    write_meta_datasets,
)

matplotlib.use("Agg")

DATA_DIR = Path(__file__).parents[1] / "synthetic_data" / "meta"
Z = 4.0  # Monte Carlo checks allow 4 standard errors


# ----------------------------------------------------------------------------------------------
# datasets
# ----------------------------------------------------------------------------------------------

def test_datasets_regenerate_byte_for_byte(tmp_path):
    paths = write_meta_datasets(tmp_path)
    assert [p.name for p in paths] == ["M1.csv", "M2.csv", "M3.csv"]
    for p in paths:
        assert p.read_bytes() == (DATA_DIR / p.name).read_bytes(), p.name


@pytest.mark.parametrize("scenario,k,patients", [("M1", 5, 435), ("M2", 23, 1365),
                                                  ("M3", 53, 2757)])
def test_datasets_have_the_published_shape(scenario, k, patients):
    import pandas as pd

    df = pd.read_csv(DATA_DIR / f"{scenario}.csv")
    assert len(df) == k and int(df.n_pdt.sum() + df.n_ctrl.sum()) == patients
    assert list(df.columns) == list(META_DICTIONARY)
    assert (df.dropout_pdt <= df.n_pdt).all() and (df.sd_pdt > 0).all()
    readme = (DATA_DIR / "README.md").read_text()
    assert all(f"`{c}`" in readme for c in META_DICTIONARY)
    assert "python -m workbench.simulate.meta synthetic_data/meta" in readme


def test_dataset_pictures_match_the_seed_trials():
    """M1 moderate benefit with marked heterogeneity, M2 small effect favouring the others, M3
    comparable outcomes (the calibration criteria documented in the README)."""
    import pandas as pd

    res = {}
    for s in ("M1", "M2", "M3"):
        df = pd.read_csv(DATA_DIR / f"{s}.csv")
        es = effect_sizes(df, measure="SMD", study="study", m1="mean_pdt", sd1="sd_pdt",
                          n1="n_pdt", m2="mean_ctrl", sd2="sd_ctrl", n2="n_ctrl")
        res[s] = meta_analysis(es)
    assert 0.5 <= res["M1"].estimate <= 0.7 and res["M1"].p_value < 0.01
    assert 50 <= res["M1"].i2 <= 80
    assert -0.28 <= res["M2"].estimate <= -0.15 and res["M2"].p_value < 0.05
    assert abs(res["M3"].estimate) < 0.04 and res["M3"].i2 < 30


def test_make_meta_dataset_seeded():
    a = make_meta_dataset("M2", rng=11)
    assert a.equals(make_meta_dataset("M2", rng=11)) and not a.equals(make_meta_dataset("M2"))
    with pytest.raises(InvalidParameterError, match="scenario"):
        make_meta_dataset("M4")


def test_split_sizes_and_scenarios():
    for s, (k, n_total) in {"M1": (5, 435), "M2": (23, 1365), "M3": (53, 2757)}.items():
        d = load_design(s)
        assert (d.k, d.n_total) == (k, n_total)
    assert sum(split_sizes(100, 4, seed=3)) == 100
    with pytest.raises(InvalidParameterError, match="n_total"):
        split_sizes(20, 4, seed=3)


# ----------------------------------------------------------------------------------------------
# the simulator against exact sampling distributions
# ----------------------------------------------------------------------------------------------

def _j(df):
    return np.exp(special.gammaln(df / 2) - 0.5 * np.log(df / 2) - special.gammaln((df - 1) / 2))


def test_hedges_g_unbiased_with_exact_variance():
    """E[g] = theta; Var(g) = J^2 (df/(df-2)) (1/n1 + 1/n2 + theta^2) - theta^2 (t moments)."""
    d = MetaAnalysisDesign(n1=[10, 30, 80], n2=[12, 30, 60], effect=0.5)
    sims = simulate_meta_arrays(d, 20000, rng=11)
    n1, n2 = np.array(d.n1), np.array(d.n2)
    df = n1 + n2 - 2
    a = 1 / n1 + 1 / n2
    var = _j(df) ** 2 * df / (df - 2) * (a + 0.5**2) - 0.5**2
    mean = sims.yi.mean(0)
    assert np.all(np.abs(mean - 0.5) < Z * np.sqrt(var / sims.n_reps)), mean
    dev2 = (sims.yi - mean) ** 2
    se_var = dev2.std(0) / math.sqrt(sims.n_reps)
    assert np.all(np.abs(dev2.mean(0) - var) < Z * se_var), (dev2.mean(0), var)


def test_published_fraction_matches_noncentral_t():
    d = MetaAnalysisDesign(n1=[15, 40, 90], effect=0.35, tau=0.2, p_publish_significant=0.9,
                           p_publish_nonsignificant=0.25)
    sims = simulate_meta_arrays(d, 20000, rng=5)
    expected = publication_probability(d)
    observed = sims.published.mean(0)
    se = np.sqrt(expected * (1 - expected) / sims.n_reps)
    assert np.all(np.abs(observed - expected) < Z * se), (observed, expected)


def test_mean_of_published_trials_matches_selection_integral():
    """One trial size, tau = 0: E[g | published] from the noncentral t density."""
    n, theta, ps, pn = 30, 0.3, 1.0, 0.2
    d = MetaAnalysisDesign(n1=[n], effect=theta, p_publish_significant=ps,
                           p_publish_nonsignificant=pn)
    sims = simulate_meta_arrays(d, 40000, rng=9)
    df, a = 2 * n - 2, 2 / n
    nc = theta / math.sqrt(a)
    tcrit = stats.t.isf(0.025, df)
    dens = stats.nct(df, nc).pdf
    tail_t = integrate.quad(lambda t: t * dens(t), tcrit, np.inf)[0]
    p_sig = stats.nct.sf(tcrit, df, nc)
    mean_t = nc / _j(df)
    e_g_pub = _j(df) * math.sqrt(a) * (pn * mean_t + (ps - pn) * tail_t)
    expected = e_g_pub / (ps * p_sig + pn * (1 - p_sig))
    g = sims.yi[sims.published]
    assert abs(g.mean() - expected) < Z * g.std() / math.sqrt(g.size)
    assert expected > theta + 0.1  # the selection really inflates


def test_same_seed_same_numbers_and_prefix_property():
    d = dataclasses.replace(load_design("m1"), p_publish_nonsignificant=0.5)
    a = simulate_meta_arrays(d, BLOCK + 200, rng=3)
    b = simulate_meta_arrays(d, 2 * BLOCK + 50, rng=3)
    np.testing.assert_array_equal(a.yi, b.yi[: BLOCK + 200])
    np.testing.assert_array_equal(a.published, b.published[: BLOCK + 200])
    c = simulate_meta_arrays(d, 50, rng=4)
    assert not np.array_equal(c.yi, a.yi[:50])
    one = simulate_meta(d, rng=3)
    np.testing.assert_allclose(one["yi"], a.yi[0])
    assert list(one["study"])[:2] == ["M1-01", "M1-02"]
    np.testing.assert_array_equal(workbench.simulate_trial(d, rng=3)["yi"], one["yi"])
    assert workbench.simulate_arrays(d, 7, rng=3).yi.shape == (7, 5)


# ----------------------------------------------------------------------------------------------
# vectorised pooling and Egger against the single-analysis functions
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["DL", "REML", "FE"])
def test_pool_replicates_equals_meta_analysis(method):
    d = MetaAnalysisDesign(n1=[20, 35, 50, 80, 25, 40], effect=0.3, tau=0.3,
                           p_publish_nonsignificant=0.5)
    sims = simulate_meta_arrays(d, 30, rng=2)
    pooled = pool_replicates(sims.yi, sims.vi, sims.published, method=method)
    for r in range(30):
        m = sims.published[r]
        if m.sum() < 2:
            assert math.isnan(pooled["estimate"][r])
            continue
        one = meta_analysis(yi=sims.yi[r, m], vi=sims.vi[r, m], method=method)
        assert pooled["estimate"][r] == pytest.approx(one.estimate, rel=1e-8, abs=1e-10)
        assert pooled["se"][r] == pytest.approx(one.se, rel=1e-8)
        assert pooled["tau2"][r] == pytest.approx(one.tau2, rel=1e-6, abs=1e-10)


def test_egger_replicates_equals_egger_lm():
    d = MetaAnalysisDesign(n1=[20, 35, 50, 80, 25, 40, 60], effect=0.3, tau=0.1)
    sims = simulate_meta_arrays(d, 10, rng=8)
    eg = egger_replicates(sims.yi, sims.vi)
    for r in range(10):
        one = egger_test(meta_analysis(yi=sims.yi[r], vi=sims.vi[r]), model="lm")
        assert eg["statistic"][r] == pytest.approx(one.statistic, rel=1e-8)
        assert eg["p_value"][r] == pytest.approx(one.p_value, rel=1e-8)


# ----------------------------------------------------------------------------------------------
# what publication bias does
# ----------------------------------------------------------------------------------------------

def test_no_selection_pooled_estimate_near_truth_and_coverage_nominal():
    """Without selection the pooled estimate is within 0.005 of the truth (inverse-variance
    weights of SMDs depend on g, a known small bias towards zero) and the interval covers about
    95% (+- 4 MC SE)."""
    d = MetaAnalysisDesign(n1=[20, 30, 40, 50, 60, 80, 100, 25, 35, 45], effect=0.3, tau=0.1)
    res = publication_bias(d, 4000, rng=1)
    s = res.summary
    assert (s.loc[0, "mean_estimate"] == s.loc[1, "mean_estimate"])
    assert abs(s.loc[0, "bias"]) < 0.005 + Z * s.loc[0, "mc_se"]
    assert abs(s.loc[0, "coverage"] - 0.95) < Z * math.sqrt(0.95 * 0.05 / 4000)


def test_selection_inflates_the_pooled_estimate():
    d = MetaAnalysisDesign(n1=[20, 30, 40, 50, 60, 80, 100, 25, 35, 45], effect=0.3, tau=0.1,
                           p_publish_nonsignificant=0.3)
    res = publication_bias(d, 4000, rng=1, method="REML")
    s = res.summary
    assert s.loc[1, "bias"] > 0.05 + Z * s.loc[1, "mc_se"]
    assert s.loc[1, "coverage"] < 0.95 - Z * s.loc[1, "coverage_mc_se"]
    assert s.loc[1, "k_mean"] == pytest.approx(res.expected_k_published, rel=0.02)
    assert "published" in repr(res)


@pytest.mark.slow
def test_selection_bias_large():
    d = dataclasses.replace(load_design("m2"), p_publish_nonsignificant=0.2, effect=0.2)
    res = publication_bias(d, 50000, rng=2, method="REML")
    s = res.summary
    assert abs(s.loc[0, "bias"]) < 0.005 + Z * s.loc[0, "mc_se"]
    assert s.loc[1, "bias"] > 0.05
    assert s.loc[1, "k_mean"] == pytest.approx(res.expected_k_published, rel=0.005)


def test_design_validation_names_parameter():
    with pytest.raises(InvalidParameterError, match="p_publish_nonsignificant"):
        MetaAnalysisDesign(n1=[20], p_publish_nonsignificant=1.5)
    with pytest.raises(InvalidParameterError, match="n1"):
        MetaAnalysisDesign(n1=[1, 20])
    with pytest.raises(InvalidParameterError, match="n2"):
        MetaAnalysisDesign(n1=[20, 20], n2=[20])
    with pytest.raises(InvalidParameterError, match="tau"):
        MetaAnalysisDesign(n1=[20], tau=-0.1)
    with pytest.raises(InvalidParameterError, match="n_reps"):
        simulate_meta_arrays(MetaAnalysisDesign(n1=[20]), 0)
    with pytest.raises(InvalidParameterError, match="method"):
        publication_bias(MetaAnalysisDesign(n1=[20, 30]), 10, method="PM")
    with pytest.raises(InvalidParameterError, match="design"):
        publication_bias("M1", 10)
    d = load_design("m1")
    assert MetaAnalysisDesign.from_json(d.to_json()) == d


# ----------------------------------------------------------------------------------------------
# plots
# ----------------------------------------------------------------------------------------------

def _m1(measure="SMD"):
    import pandas as pd

    df = pd.read_csv(DATA_DIR / "M1.csv")
    if measure == "SMD":
        return effect_sizes(df, measure="SMD", study="study", m1="mean_pdt", sd1="sd_pdt",
                            n1="n_pdt", m2="mean_ctrl", sd2="sd_ctrl", n2="n_ctrl")
    return effect_sizes(df, measure=measure, study="study", events1="dropout_pdt", n1="n_pdt",
                        events2="dropout_ctrl", n2="n_ctrl")


def test_plot_forest_elements():
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    res = meta_analysis(_m1(), knha=True)
    fig, ax = plt.subplots()
    out = workbench.plot_forest(res, ax=ax)
    assert out is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(res.study) + ["Pooled (REML+HK)", "Prediction"]
    (diamond,) = [p for p in ax.patches if isinstance(p, Polygon)]
    xs = diamond.get_xy()[:, 0]
    assert xs.min() == pytest.approx(res.ci_lower) and xs.max() == pytest.approx(res.ci_upper)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert f"{res.weights[0]:5.1f}%" in texts
    plt.close(fig)


def test_plot_forest_ratio_scale_and_trimfill():
    import matplotlib.pyplot as plt

    res = meta_analysis(_m1("RR"))
    ax = workbench.plot_forest(res)
    assert ax.get_xscale() == "log" and "Risk ratio" in ax.get_xlabel()
    plt.close(ax.figure)
    tf = trim_and_fill(meta_analysis(_m1()))
    ax = workbench.plot_forest(tf)
    assert len(ax.get_yticklabels()) == tf.result.k + 2
    plt.close(ax.figure)


def test_plot_funnel_contours_and_points():
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    tf = trim_and_fill(meta_analysis(_m1()))
    ax = workbench.plot_funnel(tf)
    assert ax.yaxis_inverted()
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == 4  # background + three bands
    pts = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert sum(len(ln.get_xdata()) for ln in pts) == tf.result.k
    plt.close(ax.figure)
    ax = workbench.plot_funnel(meta_analysis(_m1()), contours=False)
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    plt.close(ax.figure)
    with pytest.raises(InvalidParameterError, match="result"):
        workbench.plot_funnel({"yi": [1]})
    with pytest.raises(InvalidParameterError, match="conf_levels"):
        workbench.plot_funnel(tf, conf_levels=(0.9, 95))
