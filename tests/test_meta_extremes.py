"""Extreme but finite meta-analysis inputs: a defined result or one clear refusal.

Reported: vi = 1e-20 among vi of about 0.05 gave tau-squared 0 with DL, silently; yi = 1e300 a
LinAlgError traceback; vi = 1e-300 an OverflowError traceback or a table of NA with exit code 0.
Now |yi| <= 1e100, vi in [1e-100, 1e100] and max(vi) / min(vi) <= 1e7 (metafor warns from the same
ratio) are required, and inside those bounds the results are checked against exact rational
arithmetic and against the same data at unit scale.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import partial

import numpy as np
import pytest

from tests import helpers
from workbench import DataValidationError
from workbench.analysis.meta import egger_test, meta_analysis, trim_and_fill
from workbench.analysis.meta.model import VI_RANGE, VI_RATIO_MAX, YI_MAX

run_error = partial(helpers.run_error, prefix="workbench meta: error:")

Y = [0.62, 0.31, 0.85, 0.12, 0.47]
V = [0.08, 0.05, 0.11, 0.04, 0.07]


def write_csv(tmp_path, yi, vi):
    path = tmp_path / "studies.csv"
    rows = [f"s{i + 1},{y!r},{v!r}" for i, (y, v) in enumerate(zip(yi, vi, strict=True))]
    path.write_text("study,yi,vi\n" + "\n".join(rows) + "\n")
    return str(path)


REPORTED = {
    "vi 1e-20": ([0.5, 0.1, 0.9, 0.3], [1e-20, 0.04, 0.05, 0.02], "vi", "ratio"),
    "yi 1e300": ([1e300, 0.1, 0.9, 0.3], [0.01, 0.04, 0.05, 0.02], "yi", "1e+300"),
    "vi 1e-300": ([0.5, 0.1, 0.9, 0.3], [1e-300, 0.04, 0.05, 0.02], "vi", "1e-300"),
}


@pytest.mark.parametrize("method", ["DL", "REML", "PM", "FE"])
@pytest.mark.parametrize("case", list(REPORTED))
def test_reported_inputs_are_refused_on_the_command_line(capsys, tmp_path, case, method):
    yi, vi, column, says = REPORTED[case]
    err = run_error(capsys, ["meta", write_csv(tmp_path, yi, vi), "--yi", "yi", "--vi", "vi",
                             "--study", "study", "--method", method])
    assert f"column {column!r}" in err and "study 's1'" in err and says in err


@pytest.mark.parametrize("case", list(REPORTED))
def test_reported_inputs_are_refused_by_the_library(case):
    yi, vi, column, _ = REPORTED[case]
    with pytest.raises(DataValidationError, match=column):
        meta_analysis(yi=yi, vi=vi, method="DL")


def test_the_bounds_are_stated():
    assert YI_MAX == 1e100 and VI_RANGE == (1e-100, 1e100) and VI_RATIO_MAX == 1e7
    with pytest.raises(DataValidationError, match=r"at most 1e\+07"):
        meta_analysis(yi=Y, vi=[0.08, 0.05, 0.11, 0.04, 0.11 / 1.01e7])
    meta_analysis(yi=Y, vi=[0.08, 0.05, 0.11, 0.04, 0.11 / 0.99e7])  # just inside


def exact_dl(y, v):
    """DerSimonian-Laird in exact rational arithmetic: tau2, its standard error, I2, estimate."""
    y = [Fraction(a) for a in y]
    v = [Fraction(a) for a in v]
    w = [1 / a for a in v]
    s = sum(w)
    ybar = sum(a * b for a, b in zip(w, y, strict=True)) / s
    q = sum(a * (b - ybar) ** 2 for a, b in zip(w, y, strict=True))
    k = len(y)
    trp = s - sum(a * a for a in w) / s
    trpp = sum(a * a for a in w) - 2 * sum(a**3 for a in w) / s + sum(a * a for a in w) ** 2 / s**2
    t2 = max(Fraction(0), (q - (k - 1)) / trp)
    se_t2 = math.sqrt((2 * (k - 1) + 4 * t2 * trp + 2 * t2**2 * trpp) / trp**2)
    ws = [1 / (a + t2) for a in v]
    est = sum(a * b for a, b in zip(ws, y, strict=True)) / sum(ws)
    vt = (k - 1) / trp
    return float(t2), se_t2, float(100 * t2 / (vt + t2)), float(est)


@pytest.mark.parametrize("ratio", [1e3, 1e5, 1e6, 9.9e6])
@pytest.mark.parametrize("which", [0, 3])
def test_dl_matches_exact_arithmetic_up_to_the_ratio_bound(ratio, which):
    """The precise study dominates: the intercept-only traces lose no digits to it."""
    v = list(V)
    v[which] = max(V) / ratio
    res = meta_analysis(yi=Y, vi=v, method="DL")
    t2, se_t2, i2, est = exact_dl(Y, v)
    assert res.tau2 == pytest.approx(t2, rel=1e-12)
    assert res.se_tau2 == pytest.approx(se_t2, rel=1e-12)
    assert res.i2 == pytest.approx(i2, rel=1e-12)
    assert res.estimate == pytest.approx(est, rel=1e-12)


@pytest.mark.parametrize("method", ["REML", "DL", "PM", "FE"])
@pytest.mark.parametrize(("y_scale", "v_scale"), [
    (1e-10, 1e-20), (1e-40, 1e-80), (1e40, 1e80), (1e99, 1.0), (1.0, 1e99 / 0.11),
    (1e100 / 0.85, 1e-98),
], ids=["1e-10", "1e-40", "1e40", "yi-1e99", "vi-1e99", "yi-1e100-vi-1e-98"])
def test_rescaled_data_give_the_rescaled_result(method, y_scale, v_scale):
    """Effects in other units (y * s, v * s^2; or the effects alone far from their variances).

    With y * s and v * s^2 the model is the same in other units: estimate * s, tau2 * s^2, the
    same I2 and p-values. Where only one of them is scaled the result is still finite and defined
    (no NA, no error), with tau2 and I2 on the side the data say.
    """
    y, v = np.array(Y) * y_scale, np.array(V) * v_scale
    res = meta_analysis(yi=y, vi=v, method=method)
    egger, filled = egger_test(res), trim_and_fill(res)
    for x in (res.estimate, res.se, res.ci_lower, res.ci_upper, res.tau2, res.i2, res.q,
              egger.p_value, filled.estimate):
        assert math.isfinite(x)
    if math.isclose(v_scale, y_scale**2, rel_tol=1e-9):
        unit = meta_analysis(yi=Y, vi=V, method=method)
        s = y_scale
        assert res.estimate == pytest.approx(unit.estimate * s, rel=1e-9)
        assert res.se == pytest.approx(unit.se * s, rel=1e-9)
        assert res.tau2 == pytest.approx(unit.tau2 * s * s, rel=1e-8, abs=1e-12 * s * s)
        assert res.i2 == pytest.approx(unit.i2, rel=1e-8, abs=1e-9)
        assert res.p_value == pytest.approx(unit.p_value, rel=1e-8)
        if method != "FE":
            assert res.tau2_ci_upper == pytest.approx(unit.tau2_ci_upper * s * s, rel=1e-8)
        assert egger.p_value == pytest.approx(egger_test(unit).p_value, rel=1e-8)
    elif y_scale > 1e50:  # effects far apart for their precision: all heterogeneity
        assert res.i2 == pytest.approx(100.0) or method == "FE"
    else:  # variances huge for the spread of the effects: no heterogeneity
        assert res.tau2 == 0.0


def test_extreme_but_allowed_inputs_on_the_command_line(capsys, tmp_path):
    """Effects of 1e-11 with variances of 1e-21: the unit-scale numbers in those units."""
    y = [x * 1e-10 for x in Y]
    v = [x * 1e-20 for x in V]
    out = helpers.run_json(capsys, ["meta", write_csv(tmp_path, y, v), "--yi", "yi", "--vi", "vi",
                                    "--method", "DL", "--json"])
    unit = meta_analysis(yi=Y, vi=V, method="DL")
    assert out["estimate"] == pytest.approx(unit.estimate * 1e-10, rel=1e-9)
    assert out["tau2"] == pytest.approx(unit.tau2 * 1e-20, rel=1e-9)
    assert out["i2"] == pytest.approx(unit.i2, rel=1e-9)
    assert out["egger"]["p_value"] == pytest.approx(egger_test(unit).p_value, rel=1e-8)
    assert out["trimfill"]["estimate"] == pytest.approx(trim_and_fill(unit).estimate * 1e-10,
                                                        rel=1e-8)
