"""Tests for non-proportional hazards: weighted log-rank, Magirr-Burman, MaxCombo, RMST, milestone.

Reference numbers: tests/reference/nph_tests.json, made by tests/reference/r/nph_tests.R (R 4.2.2,
survival 3.5-3, mvtnorm 1.1-3; the definitions are in the script header). Statistics are compared
at 1e-6 relative. The MaxCombo p-values of R come from Genz-Bretz Monte Carlo integration (the
correlation matrix is singular, so Miwa's algorithm refuses it); they are compared at 4e-6
absolute, and the package's value is checked to 1e-9 against an independent two-dimensional
quadrature (scipy ``dblquad``) of the same probability: on ``nph_delayed_n400`` R is 1.7e-6
(one-sided) and 3.4e-6 (two-sided) away from that quadrature, the package 1e-14.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from tests.helpers import REFERENCE_DIR, reference_cases, run_json
from workbench.analysis.survival import (
    fleming_harrington_test,
    logrank_test,
    magirr_burman_test,
    maxcombo_test,
    milestone_test,
    rmst_difference_test,
)
from workbench.cli import main
from workbench.exceptions import DataValidationError, InvalidParameterError
from workbench.kernels.maxcombo import bivariate_normal_cdf, maxcombo_p_values
from workbench.kernels.replicates import logrank_arrays, weighted_logrank_arrays

REF = reference_cases("nph_tests")
IDS = list(REF)
REL = 1e-6
P_ABS = 4e-6  # R's Genz-Bretz error on a singular correlation (see the module docstring)


def _case(case_id):
    case = REF[case_id]
    inp = case["inputs"]
    df = pd.read_csv(REFERENCE_DIR / inp["data"])
    cols = {"time": inp["time"], "event": inp["event"], "group": inp["group"]}
    return df, cols, inp, case["outputs"]


@pytest.mark.parametrize("case_id", IDS)
def test_fleming_harrington_matches_r(case_id):
    df, cols, _, out = _case(case_id)
    for ref in out["fleming_harrington"]:
        res = fleming_harrington_test(df, **cols, rho=ref["rho"], gamma=ref["gamma"])
        assert res.u == pytest.approx(ref["U"], rel=REL)
        assert res.variance == pytest.approx(ref["var"], rel=REL)
        assert res.z == pytest.approx(ref["z"], rel=REL)
        assert res.chisq == pytest.approx(ref["chisq"], rel=REL)
        assert res.p_value == pytest.approx(ref["p_value"], rel=REL)


@pytest.mark.parametrize("case_id", IDS)
def test_magirr_burman_matches_r(case_id):
    df, cols, inp, out = _case(case_id)
    ref = out["magirr_burman"]
    res = magirr_burman_test(df, **cols, t_star=inp["mb_t_star"])
    for name, key in (("u", "U"), ("variance", "var"), ("z", "z"), ("p_value", "p_value")):
        assert getattr(res, name) == pytest.approx(ref[key], rel=REL), name


@pytest.mark.parametrize("case_id", IDS)
def test_maxcombo_matches_r(case_id):
    df, cols, _, out = _case(case_id)
    ref = out["maxcombo"]
    res = maxcombo_test(df, **cols)
    np.testing.assert_allclose(res.z, ref["z"], rtol=REL)
    np.testing.assert_allclose(res.correlation, ref["correlation"]["matrix_rows"], rtol=REL,
                               atol=1e-12)
    assert res.max_z == pytest.approx(ref["max_z"], rel=REL)
    assert res.max_abs_z == pytest.approx(ref["max_abs_z"], rel=REL)
    assert abs(res.p_value_one_sided - ref["p_value_one_sided"]) < P_ABS
    assert abs(res.p_value_two_sided - ref["p_value_two_sided"]) < P_ABS


def test_maxcombo_p_values_against_independent_quadrature():
    """The one-dimensional integral against scipy's adaptive 2-d quadrature of the same event."""
    out = REF["nph_delayed_n400"]["outputs"]["maxcombo"]
    z, corr = np.array(out["z"]), np.array(out["correlation"]["matrix_rows"])
    m = z.max()
    # Z00 = a Z01 + b Z10; condition on (Z10, Z11) and integrate Z01's normal probability
    a, b = np.linalg.solve(corr[np.ix_([1, 2], [1, 2])], corr[[1, 2], 0])
    sub = corr[np.ix_([2, 3], [2, 3])]
    beta = np.linalg.solve(sub, corr[1, [2, 3]])
    sd = np.sqrt(1 - corr[1, [2, 3]] @ beta)
    dens = stats.multivariate_normal(np.zeros(2), sub)

    def inner(y, x):
        upper = min(m, (m - b * x) / a)
        return dens.pdf([x, y]) * stats.norm.cdf((upper - beta @ [x, y]) / sd)

    q, _ = integrate.dblquad(inner, -10, m, -10, m, epsabs=1e-12, epsrel=1e-12)
    one, _ = maxcombo_p_values(z, corr)
    assert float(one) == pytest.approx(1 - q, abs=1e-9)


def test_bivariate_normal_cdf_against_scipy():
    rng = np.random.default_rng(3)
    for h, k, r in rng.uniform([-3, -3, -0.95], [3, 3, 0.95], size=(20, 3)):
        ref = stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([h, k])
        assert float(bivariate_normal_cdf(h, k, r)) == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize("case_id", IDS)
def test_rmst_and_milestone_differences_match_r(case_id):
    df, cols, inp, out = _case(case_id)
    ref = out["rmst_difference"]
    res = rmst_difference_test(df, **cols, tau=inp["tau"])
    assert (res.group1, res.group2) == (ref["group1"], ref["group2"])
    for name, key in (("estimate1", "rmst1"), ("estimate2", "rmst2"), ("difference", "difference"),
                      ("se", "se"), ("z", "z"), ("p_value", "p_value")):
        assert getattr(res, name) == pytest.approx(ref[key], rel=REL), name
    ref = out["milestone"]
    res = milestone_test(df, **cols, milestone=inp["milestone"])
    for name, key in (("estimate1", "surv1"), ("estimate2", "surv2"), ("se1", "se1"),
                      ("se2", "se2"), ("difference", "difference"), ("se", "se"), ("z", "z"),
                      ("p_value", "p_value")):
        assert getattr(res, name) == pytest.approx(ref[key], rel=REL), name


@pytest.mark.parametrize("case_id", IDS)
def test_replicate_kernel_matches_r(case_id):
    """The vectorised kernel (several weights, stacked replicates) gives R's numbers per row."""
    df, cols, inp, out = _case(case_id)
    g = df[cols["group"]].astype(str)
    first = g == sorted(g.unique())[0]
    t = df[cols["time"]].to_numpy(float)
    e = df[cols["event"]].to_numpy(bool)
    specs = [("fh", r["rho"], r["gamma"]) for r in out["fleming_harrington"]]
    specs.append(("mb", inp["mb_t_star"]))
    res = weighted_logrank_arrays(np.stack([t, t]), np.stack([e, e]), first.to_numpy(),
                                  weights=specs)
    expected = [r["z"] for r in out["fleming_harrington"]] + [out["magirr_burman"]["z"]]
    np.testing.assert_allclose(res.z, [expected, expected], rtol=1e-10)
    np.testing.assert_allclose(res.correlation[0, :4, :4],
                               out["maxcombo"]["correlation"]["matrix_rows"], rtol=1e-10)
    np.testing.assert_allclose(res.z[:, 0], logrank_arrays(t, e, first.to_numpy()).z[0],
                               rtol=1e-12)


def test_stratified_fh_equals_stratified_survdiff():
    """FH(rho, 0) stratified is R's stratified survdiff(rho=) (checked in logrank_cox.json)."""
    df = pd.read_csv(REFERENCE_DIR / "data" / "ds3_stratified_n40_ties.csv")
    cols = {"time": "time", "event": "event", "group": "arm", "strata": "stratum"}
    for rho in (0, 1):
        res = fleming_harrington_test(df, **cols, rho=rho)
        assert res.strata is not None and res.method.startswith("stratified")
        assert res.chisq == pytest.approx(logrank_test(df, **cols, rho=rho).statistic, rel=1e-12)
    mc = maxcombo_test(df, **cols)
    assert mc.z[0] ** 2 == pytest.approx(logrank_test(df, **cols).statistic, rel=1e-12)


@pytest.mark.parametrize("case_id", IDS)
def test_command_line_nph_key(capsys, case_id):
    _, cols, inp, out = _case(case_id)
    argv = ["survival", str(REFERENCE_DIR / inp["data"]), "--time", cols["time"], "--event",
            cols["event"], "--group", cols["group"], "--fh", "0:0,0:1,1:0,1:1,0.5:0.5,2:0",
            "--mb", str(inp["mb_t_star"]), "--maxcombo", "--tau", str(inp["tau"]),
            "--milestone", str(inp["milestone"]), "--json"]
    nph = run_json(capsys, argv)["nph"]
    for got, ref in zip(nph["fleming_harrington"], out["fleming_harrington"], strict=True):
        assert (got["rho"], got["gamma"]) == (ref["rho"], ref["gamma"])
        for key in ("z", "chisq", "p_value"):
            assert got[key] == pytest.approx(ref[key], rel=REL)
    for key in ("t_star", "z", "p_value"):
        assert nph["magirr_burman"][key] == pytest.approx(out["magirr_burman"][key], rel=REL)
    mc, ref = nph["maxcombo"], out["maxcombo"]
    np.testing.assert_allclose(mc["z"], ref["z"], rtol=REL)
    for key in ("max_z", "max_abs_z"):
        assert mc[key] == pytest.approx(ref[key], rel=REL)
    for key in ("p_value_one_sided", "p_value_two_sided"):
        assert abs(mc[key] - ref[key]) < P_ABS
    for block, keys in (("rmst_difference", ("tau", "difference", "se", "z", "p_value")),
                        ("milestone", ("time", "difference", "se", "z", "p_value"))):
        for key in keys:
            assert nph[block][key] == pytest.approx(out[block][key], rel=REL), (block, key)


def test_command_line_tau_alone_keeps_its_meaning(capsys):
    path = str(REFERENCE_DIR / "data" / "ds3_stratified_n40_ties.csv")
    base = ["survival", path, "--time", "time", "--event", "event", "--group", "arm", "--json"]
    assert "nph" not in run_json(capsys, base + ["--tau", "48"])  # past follow-up: flat, warned
    assert set(run_json(capsys, base + ["--tau", "20"])["nph"]) == {"rmst_difference"}


GOOD = str(REFERENCE_DIR / "data" / "nph_delayed_n400.csv")


@pytest.mark.parametrize("args, option", [
    (["--fh", "0:-1"], "--fh"),
    (["--fh=-0.5:0"], "--fh"),
    (["--fh", "1"], "--fh"),
    (["--mb", "0"], "--mb"),
    (["--mb", "400"], "--mb"),
    (["--maxcombo", "--tau", "-3"], "--tau"),
    (["--maxcombo", "--tau", "400"], "--tau"),
    (["--milestone", "0"], "--milestone"),
    (["--milestone", "400"], "--milestone"),
])
def test_bad_input_one_line_exit_2(capsys, args, option):
    code = main(["survival", GOOD, "--time", "time", "--event", "event", "--group", "group",
                 "--json", *args])
    err = capsys.readouterr()
    assert code == 2 and err.out == ""
    lines = err.err.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in err.err


def test_library_errors_name_the_parameter():
    df = pd.read_csv(GOOD)
    cols = {"time": "time", "event": "event", "group": "group"}
    with pytest.raises(InvalidParameterError, match="gamma"):
        fleming_harrington_test(df, **cols, gamma=-1)
    with pytest.raises(InvalidParameterError, match="rho"):
        fleming_harrington_test(df, **cols, rho=float("nan"))
    with pytest.raises(InvalidParameterError, match="t_star"):
        magirr_burman_test(df, **cols, t_star=100)
    with pytest.raises(InvalidParameterError, match="tau"):
        rmst_difference_test(df, **cols, tau=0)
    with pytest.raises(InvalidParameterError, match="milestone"):
        milestone_test(df, **cols, milestone=37)
    three = df.assign(group=np.resize(["a", "b", "c"], len(df)))
    with pytest.raises(DataValidationError, match="exactly 2 groups"):
        maxcombo_test(three, **cols)


@pytest.mark.parametrize("rho, gamma", [(0, 0), (1, 0), (0, 1), (1, 1), (0.5, 0.5), (2, 0.5)])
def test_fleming_harrington_against_lifelines_on_lung(rho, gamma):
    """An independent implementation (lifelines' Fleming-Harrington weights) on survival::lung."""
    datasets = pytest.importorskip("lifelines.datasets")
    from lifelines.statistics import logrank_test as lifelines_logrank

    lung = datasets.load_lung()
    lung = lung.assign(event=(lung["status"] == 2).astype(int) if lung["status"].max() == 2
                       else lung["status"])
    res = fleming_harrington_test(lung, time="time", event="event", group="sex", rho=rho,
                                  gamma=gamma)
    a, b = lung[lung["sex"] == 1], lung[lung["sex"] == 2]
    ref = lifelines_logrank(a["time"], b["time"], a["event"], b["event"],
                            weightings="fleming-harrington", p=rho, q=gamma)
    assert res.chisq == pytest.approx(ref.test_statistic, rel=1e-10)


def test_fh_flag_without_value_gives_the_four_maxcombo_tests(capsys):
    nph = run_json(capsys, ["survival", GOOD, "--time", "time", "--event", "event", "--group",
                            "group", "--fh", "--json"])["nph"]
    assert [(r["rho"], r["gamma"]) for r in nph["fleming_harrington"]] == [
        (0, 0), (0, 1), (1, 0), (1, 1)]
