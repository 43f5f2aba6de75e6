"""``workbench meta`` against metafor 3.8 (tests/reference/meta_analysis.json)."""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests import helpers
from tests.helpers import ATOL, reference_cases
from workbench import DataValidationError
from workbench.cli import build_parser, main

CASES = reference_cases("meta_analysis")
RTOL = 1e-6
KEYS = {"k", "estimate", "se", "ci_lower", "ci_upper", "p_value", "tau2", "i2", "h2", "q", "q_p",
        "pi_lower", "pi_upper", "pi_lower_t", "pi_upper_t", "egger", "trimfill"}
FIELDS = [("estimate", "estimate"), ("se", "se"), ("ci_lower", "ci.lb"), ("ci_upper", "ci.ub"),
          ("p_value", "pval"), ("tau2", "tau2"), ("i2", "I2"), ("h2", "H2"), ("q", "QE"),
          ("q_p", "QEp"), ("pi_lower", "pi.lb"), ("pi_upper", "pi.ub")]


# close(actual, expected, rtol): relative tolerance; R's NA must be None here; for the looser
# comparisons with metafor's unconverged defaults also an absolute one of the same size (effects are
# of order 1)
close = partial(helpers.close, abs=lambda rtol: ATOL if rtol <= RTOL else rtol, na_is_nan=False)
run_json = partial(helpers.run_json, add_json=True)
run_error = partial(helpers.run_error, prefix="workbench meta: error:")


@pytest.fixture
def smd_csv(tmp_path):
    def make(case):
        inp = CASES[case]["inputs"]
        path = tmp_path / f"{case}.csv"
        pd.DataFrame({"study": [f"S{i + 1}" for i in range(inp["k"])], "g": inp["yi"],
                      "v": inp["vi"]}).to_csv(path, index=False)
        return str(path)
    return make


@pytest.fixture
def bin_csv(tmp_path):
    def make(case):
        i = CASES[case]["inputs"]
        path = tmp_path / f"{case}.csv"
        pd.DataFrame({"study": i["studies"], "rem_e": i["ai"], "n_e": i["n1i"],
                      "rem_c": i["ci"], "n_c": i["n2i"]}).to_csv(path, index=False)
        return str(path)
    return make


# (CLI method, --knha, reference model, tolerance). REML and PM run to full convergence and are
# compared with metafor's tightly converged fits; REML_knha exists only with metafor's default
# stopping rule (tau2 change < 1e-5), hence 1e-4.
MODELS = [("DL", False, "DL", RTOL), ("FE", False, "FE", RTOL), ("REML", False, "REML_tight", RTOL),
          ("PM", False, "PM_tight", RTOL), ("DL", True, "DL_knha", RTOL),
          ("REML", True, "REML_knha", 1e-4)]


@pytest.mark.parametrize("case", ["meta_smd_k5", "meta_smd_k12"])
@pytest.mark.parametrize("method,knha,ref_name,rtol", MODELS)
def test_yi_vi_models(capsys, smd_csv, case, method, knha, ref_name, rtol):
    argv = ["meta", smd_csv(case), "--yi", "g", "--vi", "v", "--study", "study",
            "--method", method] + (["--knha"] if knha else [])
    out = run_json(capsys, argv)
    assert KEYS <= set(out)
    ref = CASES[case]["outputs"]["models"][ref_name]
    assert out["k"] == ref["k"]
    bad = [(a, out[a], ref[b]) for a, b in FIELDS if not close(out[a], ref[b], rtol)]
    assert not bad, bad
    hand = CASES[case]["outputs"]["prediction_interval_hand_t_k_minus_2"]
    if method == "DL" and not knha:
        assert close(out["pi_lower_t"], hand["DL"]["pi.lb"])
        assert close(out["pi_upper_t"], hand["DL"]["pi.ub"])
    if method == "FE":
        assert out["pi_lower_t"] is None and out["pi_lower"] is None


@pytest.mark.parametrize("case", ["meta_smd_k5", "meta_smd_k12"])
@pytest.mark.parametrize("method,rtol", [("FE", RTOL), ("DL", RTOL), ("REML", 1e-4)])
def test_egger_and_trimfill(capsys, smd_csv, case, method, rtol):
    """regtest(model='rma') and trimfill() of the reference; metafor's REML ones used its default
    stopping rule (1e-4 against a converged REML)."""
    out = run_json(capsys, ["meta", smd_csv(case), "--yi", "g", "--vi", "v", "--method", method])
    eg = CASES[case]["outputs"]["egger"][f"rma_{method}"]
    assert close(out["egger"]["statistic"], eg["zval"], rtol)
    assert close(out["egger"]["p_value"], eg["pval"], rtol)
    tf = CASES[case]["outputs"]["trimfill"][f"{method}_L0"]
    assert out["trimfill"]["k0"] == tf["k0"] and out["trimfill"]["side"] == tf["side"]
    assert close(out["trimfill"]["estimate"], tf["estimate"], rtol)


@pytest.mark.parametrize("case", ["meta_smd_k5", "meta_smd_k12"])
def test_egger_lm(capsys, smd_csv, case):
    out = run_json(capsys, ["meta", smd_csv(case), "--yi", "g", "--vi", "v", "--egger-model",
                            "lm"])
    ref = CASES[case]["outputs"]["egger"]["lm"]
    assert close(out["egger"]["statistic"], ref["tval"]) and close(out["egger"]["p_value"],
                                                                    ref["pval"])
    assert out["egger"]["df"] == ref["df"]


@pytest.mark.parametrize("case", ["meta_binary_k5", "meta_binary_k5_zero_cell"])
@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_binary_mh_and_dl(capsys, bin_csv, case, measure):
    base = ["meta", bin_csv(case), "--measure", measure, "--events1", "rem_e", "--n1", "n_e",
            "--events2", "rem_c", "--n2", "n_c", "--study", "study"]
    mh = run_json(capsys, base + ["--method", "MH"])
    ref = CASES[case]["outputs"][measure]["mantel_haenszel"]
    for a, b in [("estimate", "estimate"), ("se", "se"), ("ci_lower", "ci.lb"),
                 ("ci_upper", "ci.ub"), ("p_value", "pval"), ("q", "QE"), ("q_p", "QEp"),
                 ("i2", "I2"), ("h2", "H2")]:
        assert close(mh[a], ref[b]), (a, mh[a], ref[b])
    assert mh["tau2"] == 0 and mh["pi_lower"] is None and mh["measure"] == measure
    dl = run_json(capsys, base + ["--method", "DL"])
    ref = CASES[case]["outputs"][measure]["random_effects_DL"]
    bad = [(a, dl[a], ref[b]) for a, b in FIELDS if not close(dl[a], ref[b])]
    assert not bad, bad


def test_smd_from_means_on_synthetic_m1(capsys):
    data = str(Path(__file__).parents[1] / "synthetic_data" / "meta" / "M1.csv")
    out = run_json(capsys, ["meta", data, "--measure", "SMD", "--m1", "mean_pdt", "--sd1",
                            "sd_pdt", "--n1", "n_pdt", "--m2", "mean_ctrl", "--sd2", "sd_ctrl",
                            "--n2", "n_ctrl", "--study", "study", "--knha"])
    from workbench.analysis.meta import effect_sizes, meta_analysis

    es = effect_sizes(pd.read_csv(data), measure="SMD", m1="mean_pdt", sd1="sd_pdt", n1="n_pdt",
                      m2="mean_ctrl", sd2="sd_ctrl", n2="n_ctrl")
    res = meta_analysis(es, knha=True)
    assert out["estimate"] == res.estimate and out["test"] == "knha" and out["k"] == 5
    # independently: metafor's escalc("SMD") by hand (Hedges' g with the exact correction J),
    # REML tau2 maximising the restricted likelihood (scipy), Hartung-Knapp SE and t(k - 1)
    from scipy import optimize
    from scipy.special import gammaln

    d = pd.read_csv(data)
    n1, n2 = d["n_pdt"].to_numpy(float), d["n_ctrl"].to_numpy(float)
    m = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * d["sd_pdt"] ** 2 + (n2 - 1) * d["sd_ctrl"] ** 2) / m).to_numpy()
    j = np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))
    y = j * (d["mean_pdt"] - d["mean_ctrl"]).to_numpy() / sp
    v = 1 / n1 + 1 / n2 + y**2 / (2 * (n1 + n2))
    np.testing.assert_allclose(es.yi, y, rtol=1e-10)
    np.testing.assert_allclose(es.vi, v, rtol=1e-10)

    def pooled(t2):
        w = 1 / (v + t2)
        return np.sum(w * y) / w.sum(), w

    def neg_restricted_loglik(t2):
        mu, w = pooled(t2)
        return 0.5 * (np.sum(np.log(v + t2)) + np.log(w.sum()) + np.sum(w * (y - mu) ** 2))

    t2 = optimize.minimize_scalar(neg_restricted_loglik, bounds=(0, 5), method="bounded",
                                  options={"xatol": 1e-12}).x
    t2 = 0.0 if neg_restricted_loglik(0.0) <= neg_restricted_loglik(t2) else t2
    mu, w = pooled(t2)
    se = np.sqrt(np.sum(w * (y - mu) ** 2) / (4 * w.sum()))
    half = stats.t.ppf(0.975, 4) * se
    assert out["tau2"] == pytest.approx(t2, rel=1e-5, abs=1e-9)
    assert out["estimate"] == pytest.approx(mu, rel=1e-7)
    assert out["se"] == pytest.approx(se, rel=1e-6)
    assert (out["ci_lower"], out["ci_upper"]) == pytest.approx((mu - half, mu + half), rel=1e-6)


def test_tau2_zero_is_normal(capsys, bin_csv):
    out = run_json(capsys, ["meta", bin_csv("meta_binary_k5_zero_cell"), "--measure", "OR",
                            "--events1", "rem_e", "--n1", "n_e", "--events2", "rem_c", "--n2",
                            "n_c"])
    assert out["tau2"] == 0 and out["i2"] == 0
    assert any("tau2 is estimated at 0" in n for n in out["notes"])


def test_two_studies_egger_null_with_note(capsys, tmp_path):
    path = tmp_path / "two.csv"
    pd.DataFrame({"g": [0.3, 0.5], "v": [0.04, 0.09]}).to_csv(path, index=False)
    out = run_json(capsys, ["meta", str(path), "--yi", "g", "--vi", "v", "--method", "DL"])
    assert out["k"] == 2 and out["egger"] is None and out["trimfill"] is None
    assert any("Egger" in n and "at least 3" in n for n in out["notes"])
    assert out["pi_lower_t"] is None


def test_text_output(capsys, smd_csv):
    assert main(["meta", smd_csv("meta_smd_k5"), "--yi", "g", "--vi", "v"]) == 0
    out = capsys.readouterr().out
    assert "REML" in out and "Egger" in out and "trim-and-fill" in out


# ----------------------------------------------------------------------------------------------
# bad input: one line on stderr naming study and column, exit code 2
# ----------------------------------------------------------------------------------------------

def _write(tmp_path, **cols):
    path = tmp_path / "bad.csv"
    pd.DataFrame(cols).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("bad,match", [(-0.05, "must be > 0"), (0.0, "must be > 0"),
                                       ("abc", "must be numeric")])
def test_bad_variances(capsys, tmp_path, bad, match):
    path = _write(tmp_path, study=["A", "B", "C"], g=[0.1, 0.2, 0.3], v=[0.05, bad, 0.04])
    err = run_error(capsys, ["meta", path, "--yi", "g", "--vi", "v", "--study", "study"])
    assert "study 'B'" in err and "column 'v'" in err and match in err


def test_fewer_than_two_studies(capsys, tmp_path):
    path = _write(tmp_path, g=[0.1], v=[0.05])
    err = run_error(capsys, ["meta", path, "--yi", "g", "--vi", "v"])
    assert "at least 2 studies" in err


def test_events_above_totals(capsys, tmp_path):
    path = _write(tmp_path, s=["X", "Y"], e1=[5, 30], t1=[20, 25], e2=[3, 4], t2=[20, 25])
    err = run_error(capsys, ["meta", path, "--measure", "RR", "--events1", "e1", "--n1", "t1",
                             "--events2", "e2", "--n2", "t2", "--study", "s"])
    assert "study 'Y'" in err and "'e1' (30) exceeds column 't1'" in err


def test_missing_column_and_missing_options(capsys, smd_csv):
    path = smd_csv("meta_smd_k5")
    err = run_error(capsys, ["meta", path, "--yi", "effect", "--vi", "v"])
    assert "column 'effect'" in err and "missing" in err
    err = run_error(capsys, ["meta", path, "--measure", "SMD", "--m1", "g"])
    assert "--sd1" in err
    err = run_error(capsys, ["meta", path, "--yi", "g", "--vi", "v", "--measure", "RR"])
    assert "either --yi/--vi or --measure" in err
    err = run_error(capsys, ["meta", path])
    assert "--yi" in err
    err = run_error(capsys, ["meta", path, "--yi", "g", "--vi", "v", "--method", "MH"])
    assert "MH" in err
    err = run_error(capsys, ["meta", str(Path(path).with_name("nope.csv")), "--yi", "g",
                             "--vi", "v"])
    assert "does not exist" in err


def test_errors_are_data_validation_errors(smd_csv, tmp_path):
    from workbench.commands.meta import analyse

    path = _write(tmp_path, g=[0.1, 0.2], v=[0.05, -1.0])
    args = build_parser().parse_args(["meta", path, "--yi", "g", "--vi", "v"])
    with pytest.raises(DataValidationError, match="column 'v'"):
        analyse(args)


def test_exit_code_of_the_command(tmp_path):
    path = _write(tmp_path, g=[0.1, 0.2, 0.3], v=[0.05, 0.0, 0.02])
    proc = subprocess.run([sys.executable, "-m", "workbench", "meta", path, "--yi", "g", "--vi",
                           "v", "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "study '2'" in proc.stderr and "column 'v'" in proc.stderr
    assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------------------------
# tables with no events (or only events) in both groups: kept with 1/2 added by escalc/rma
# (drop00 = FALSE), left out of Q, I2, H2, Egger and trim-and-fill by rma.mh (drop00 = TRUE)
# ----------------------------------------------------------------------------------------------

DZ = {"s": list("ABCDEFG"), "e1": [0, 3, 5, 2, 7, 0, 10], "t1": [20, 25, 30, 18, 40, 15, 10],
      "e2": [2, 1, 0, 4, 3, 0, 12], "t2": [21, 24, 30, 20, 41, 16, 12]}
DZ_ARGS = ["--events1", "e1", "--n1", "t1", "--events2", "e2", "--n2", "t2", "--study", "s"]


def _log_or(rows):
    a, c = np.array(DZ["e1"], float)[rows], np.array(DZ["e2"], float)[rows]
    b, d = np.array(DZ["t1"], float)[rows] - a, np.array(DZ["t2"], float)[rows] - c
    add = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), 0.5, 0.0)
    a, b, c, d = a + add, b + add, c + add, d + add
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def test_double_zero_tables_fixed_effect_and_mantel_haenszel(capsys, tmp_path):
    path = _write(tmp_path, **DZ)
    fe = run_json(capsys, ["meta", path, "--measure", "OR", "--method", "FE", *DZ_ARGS])
    y, v = _log_or(slice(None))
    est = np.sum(y / v) / np.sum(1 / v)
    assert fe["k"] == 7 and fe["estimate"] == pytest.approx(est, rel=1e-12)
    assert fe["q"] == pytest.approx(np.sum((y - est) ** 2 / v), rel=1e-12)
    mh = run_json(capsys, ["meta", path, "--measure", "OR", "--method", "MH", *DZ_ARGS])
    y, v = _log_or(slice(0, 5))
    q = np.sum((y - mh["estimate"]) ** 2 / v)
    assert mh["k"] == 7 and mh["q"] == pytest.approx(q, rel=1e-12)
    assert mh["i2"] == pytest.approx(100 * (q - 4) / q, rel=1e-12)
    assert mh["q_p"] == pytest.approx(stats.chi2.sf(q, 4), rel=1e-10)
    assert mh["trimfill"]["k0"] == 0
    assert mh["trimfill"]["estimate"] == pytest.approx(np.sum(y / v) / np.sum(1 / v), rel=1e-12)
    out = run_json(capsys, ["meta", path, "--measure", "OR", "--method", "MH", "--knha",
                            *DZ_ARGS])
    assert out["se"] == mh["se"] and any("--knha does not apply" in n for n in out["notes"])


def test_equal_variances_egger_and_trimfill_null_with_note(capsys, tmp_path):
    path = _write(tmp_path, g=[0.1, 0.5, 0.3, 0.9], v=[0.04] * 4)
    out = run_json(capsys, ["meta", path, "--yi", "g", "--vi", "v", "--method", "DL"])
    assert out["k"] == 4 and out["egger"] is None and out["trimfill"] is None
    assert sum("variances are equal" in n for n in out["notes"]) == 2


def test_level_error_names_the_option(capsys, smd_csv):
    err = run_error(capsys, ["meta", smd_csv("meta_smd_k5"), "--yi", "g", "--vi", "v",
                             "--level", "95"])
    assert "`--conf-level` must be in (0, 1)" in err


def test_conf_level_and_its_alias(capsys, smd_csv):
    """--conf-level sets the level of every interval; --level (its old name) still works, and the
    JSON has the level under both keys."""
    argv = ["meta", smd_csv("meta_smd_k5"), "--yi", "g", "--vi", "v", "--json"]
    new = run_json(capsys, argv + ["--conf-level", "0.9"])
    old = run_json(capsys, argv + ["--level", "0.9"])
    default = run_json(capsys, argv)
    assert new == old
    assert new["conf_level"] == new["level"] == 0.9 and default["conf_level"] == 0.95
    assert new["ci_upper"] - new["ci_lower"] < default["ci_upper"] - default["ci_lower"]


def test_mantel_haenszel_without_events_names_the_columns(capsys, tmp_path):
    path = _write(tmp_path, e1=[0, 0, 0], t1=[30, 25, 40], e2=[0, 0, 0], t2=[30, 26, 41])
    err = run_error(capsys, ["meta", path, "--measure", "RD", "--method", "MH", "--events1", "e1",
                             "--n1", "t1", "--events2", "e2", "--n2", "t2"])
    assert "no sampling variance" in err and "'e1' and 'e2'" in err
