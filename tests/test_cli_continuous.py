"""``workbench continuous``: JSON output against the R reference values, text output, bad input.

Reference numbers: tests/reference/continuous_analysis.json (R ``t.test``, ``lm``/``confint``,
Hedges' g by hand, ``nlme::gls`` for the MMRM; R code in /work/shared/reference/r/
continuous_analysis.R and lib_continuous.R). t-test, ANCOVA and Hedges' g at 1e-6 relative; MMRM
estimate and SE at 1e-5 relative, its CI and p-value (t on the gls residual df) at 1e-5.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main

REF_DIR = Path(__file__).parent / "reference"
ROOT = Path(__file__).resolve().parents[1]
REF = {c["id"]: c for c in json.loads((REF_DIR / "continuous_analysis.json").read_text())["cases"]}
CROSS = REF["cont_hamd_week12_n80"]
LONG = REF["cont_hamd_longitudinal_n60_mmrm"]
CROSS_CSV = str(REF_DIR / CROSS["inputs"]["csv"])
LONG_CSV = str(REF_DIR / LONG["inputs"]["csv"])
LONG_ARGS = ["--outcome", "hamd", "--group", "arm", "--baseline", "baseline", "--visit", "week",
             "--subject", "id"]
KEYS = {
    "ttest": {"statistic", "df", "p_value", "ci_lower", "ci_upper"},
    "ancova": {"estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper"},
    "hedges_g": {"estimate", "ci_lower", "ci_upper"},
    "mmrm": {"visit", "estimate", "se", "df", "p_value", "ci_lower", "ci_upper"},
}


def run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, argv):
    code, out, err = run(capsys, argv)
    assert code == 0, err
    return json.loads(out), err  # exactly one JSON object on stdout


def approx(x, rel=1e-6):
    return pytest.approx(x, rel=rel, abs=1e-12)


@pytest.mark.parametrize("equal_var", [False, True])
def test_cross_sectional_json_matches_r(capsys, equal_var):
    argv = ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm", "--baseline",
            "baseline", "--json"] + (["--equal-var"] if equal_var else [])
    out, err = run_json(capsys, argv)
    assert set(out) == {"ttest", "ancova", "hedges_g"}            # no mmrm without --visit
    for k in out:
        assert set(out[k]) == KEYS[k]
    ref = CROSS["outputs"]
    t = ref["week12_student" if equal_var else "week12_welch"]
    assert out["ttest"]["statistic"] == approx(t["t"])
    assert out["ttest"]["df"] == approx(t["df"])
    assert out["ttest"]["p_value"] == approx(t["p"])
    assert out["ttest"]["ci_lower"] == approx(t["ci95_lower"])
    assert out["ttest"]["ci_upper"] == approx(t["ci95_upper"])
    a = ref["ancova"]["arm"]
    for key, rkey in (("estimate", "estimate"), ("se", "se"), ("statistic", "t"), ("p_value", "p"),
                      ("ci_lower", "ci95_lower"), ("ci_upper", "ci95_upper")):
        assert out["ancova"][key] == approx(a[rkey]), key
    g = ref["hedges_g_week12"]
    assert out["hedges_g"]["estimate"] == approx(g["hedges_g"])
    assert out["hedges_g"]["ci_lower"] == approx(g["ci95_lower"])
    assert out["hedges_g"]["ci_upper"] == approx(g["ci95_upper"])
    assert err == ""


def test_longitudinal_json_matches_r(capsys):
    out, err = run_json(capsys, ["continuous", LONG_CSV, *LONG_ARGS, "--json"])
    assert set(out) == set(KEYS)
    for k in out:
        assert set(out[k]) == KEYS[k]
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]
    m = out["mmrm"]
    assert m["visit"] == 12
    assert m["estimate"] == approx(eff["estimate"], 1e-5)
    assert m["se"] == approx(eff["se"], 1e-5)
    assert m["df"] == eff["df_gls"]
    assert m["p_value"] == approx(eff["p_t_df_gls"], 1e-5)
    assert m["ci_lower"] == approx(eff["ci95_lower_t"], 1e-5)
    assert m["ci_upper"] == approx(eff["ci95_upper_t"], 1e-5)
    # with --visit the end-point analyses are on the last visit (the completers at week 12)
    comp = LONG["outputs"]["completers_ancova_week12"]["arm"]
    assert out["ancova"]["estimate"] == approx(comp["estimate"])
    assert out["ancova"]["p_value"] == approx(comp["p"])
    assert out["ancova"]["ci_upper"] == approx(comp["ci95_upper"])
    # the six patients without a week-12 value are counted, not silently dropped
    assert "6 subject(s) have no 'hamd' at the last week (12)" in err


def test_difference_is_group_minus_first_sorted_level(capsys, tmp_path):
    d = pd.read_csv(LONG_CSV)
    path = tmp_path / "labels.csv"
    d.assign(arm=d["arm"].map({0: "b_tau", 1: "a_pdt"})).to_csv(path, index=False)
    out, _ = run_json(capsys, ["continuous", str(path), *LONG_ARGS, "--json"])
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]
    # reference is "a_pdt" (= arm 1), so the difference is arm 0 - arm 1
    assert out["mmrm"]["estimate"] == approx(-eff["estimate"], 1e-5)
    assert out["mmrm"]["ci_lower"] == approx(-eff["ci95_upper_t"], 1e-5)


def test_without_baseline_ancova_is_null(capsys):
    out, _ = run_json(capsys, ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm",
                               "--json"])
    assert out["ancova"] is None and out["ttest"]["df"] == approx(
        CROSS["outputs"]["week12_welch"]["df"])


def test_satterthwaite_option(capsys):
    out, _ = run_json(capsys, ["continuous", LONG_CSV, *LONG_ARGS, "--mmrm-df", "satterthwaite",
                               "--json"])
    assert 40 < out["mmrm"]["df"] < 166
    assert out["mmrm"]["estimate"] == approx(
        LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]["estimate"], 1e-5)


def test_text_report(capsys):
    code, out, _ = run(capsys, ["continuous", LONG_CSV, *LONG_ARGS])
    assert code == 0
    assert "Welch t-test at week 12" in out and "ANCOVA on baseline" in out
    assert "MMRM" in out and "week 12: difference -0.5762" in out


def test_synthetic_t8_data_with_missing_visits(capsys):
    path = str(ROOT / "synthetic_data" / "continuous" / "t8_hamd_long.csv")
    out, err = run_json(capsys, ["continuous", path, "--outcome", "hamd", "--group", "arm",
                                 "--baseline", "baseline", "--visit", "week", "--subject",
                                 "subject", "--reference", "usual_care", "--json"])
    assert out["mmrm"]["visit"] == 57 and out["mmrm"]["estimate"] < 0
    assert "33 subject(s) have no 'hamd'" in err and "40 row(s) with a missing 'hamd'" in err


# ------------------------------------------------------------------------------ bad input ----
@pytest.fixture()
def bad_csv(tmp_path):
    d = pd.read_csv(LONG_CSV)

    def make(kind):
        e = d.copy()
        if kind == "duplicate":
            e = pd.concat([e, e.iloc[[5]]])
        elif kind == "visit":
            e["week"] = e["week"].map(lambda w: f"w{w}")
        elif kind == "baseline":
            e.loc[3, "baseline"] = np.nan
        elif kind == "scale":
            e.loc[7, "hamd"] = 60
        elif kind == "flat":
            e.loc[e["week"] == 4, "hamd"] = 15
        elif kind == "groups":
            e["arm"] = e["arm"].astype(str)
            e.loc[:3, "arm"] = "x"
        path = tmp_path / f"{kind}.csv"
        e.to_csv(path, index=False)
        return str(path)

    return make


@pytest.mark.parametrize(("kind", "message"), [
    ("duplicate", r"subject '2' \(column 'id'\) has 2 rows at week 4"),
    ("visit", r"column 'week' \(the visit\) must be numeric"),
    ("baseline", r"column 'baseline' has 1 missing value"),
    ("scale", r"column 'hamd' must lie in the scale \[0, 52\].*found 60"),
    ("flat", r"MMRM did not converge: tried Fisher scoring.*BFGS"),
    ("groups", r"column 'arm' must have exactly two groups"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, bad_csv, kind, message):
    code, out, err = run(capsys, ["continuous", bad_csv(kind), *LONG_ARGS, "--json"])
    assert code == 2 and out == ""
    assert err.startswith("workbench continuous: error: ") and err.count("\n") == 1
    assert re.search(message, err), err


def test_bad_options(capsys):
    code, _, err = run(capsys, ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm",
                                "--scale", "52,0"])
    assert code == 2 and "--scale" in err
    code, _, err = run(capsys, ["continuous", CROSS_CSV, "--outcome", "hamd", "--group", "arm"])
    assert code == 2 and "'hamd' is missing" in err
    code, _, err = run(capsys, ["continuous", "nope.csv", "--outcome", "y", "--group", "arm"])
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, ["continuous", LONG_CSV, "--outcome", "hamd", "--group", "arm",
                                "--subject", "id"])
    assert code == 2 and "more than one row" in err


def test_missing_outcomes_are_counted(capsys, tmp_path):
    d = pd.read_csv(CROSS_CSV)
    d.loc[[0, 1, 60], "week12"] = np.nan
    path = tmp_path / "miss.csv"
    d.to_csv(path, index=False)
    out, err = run_json(capsys, ["continuous", str(path), "--outcome", "week12", "--group", "arm",
                                 "--json"])
    assert "3 row(s) with a missing 'week12' left out" in err
    assert np.isfinite(out["ttest"]["statistic"])
