"""Information rates too close together: refused, never a design that contradicts alpha.

Looks 1e-8 apart once gave an inflation factor of 0.50 (below 1, impossible) and looks 1e-10
apart a final nominal level of 0.097 above alpha = 0.025: the recursive integration cannot resolve
a step narrower than its grid. Consecutive information rates must now be at least
``MIN_INFORMATION_GAP`` (0.001) apart; above that the designs are checked here against their
limit (a look merged into its neighbour) and against a Monte Carlo run of the same boundaries.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import run_error, run_json
from workbench import ConvergenceError, InvalidParameterError
from workbench.design.sequential import (
    MIN_INFORMATION_GAP,
    boundary_crossing,
    group_sequential_design,
)
from workbench.power.sequential import monitor_sequential


@pytest.mark.parametrize("info", ["0.5,0.50000001,1", "0.5,0.5000000001,1", "0.5,0.5009,1",
                                  "0.2,0.6,0.6000001,1", "0.3,0.9999,1"])
def test_the_reported_command_lines_are_refused_with_one_line(capsys, info):
    err = run_error(capsys, f"design sequential --kmax {info.count(',') + 1} --info {info}",
                    split=True)
    assert "`--info`" in err and "0.001 apart" in err and "MIN_INFORMATION_GAP" in err


def test_power_verbs_with_kmax_refuse_close_looks_too(capsys):
    err = run_error(capsys, "power survival --hazard-ratio 0.7 --power 0.8 --follow-up 12 "
                    "--p2 0.3 --at 12 --kmax 3 --info 0.5,0.50000001,1", split=True)
    assert "`--info`" in err and "0.001" in err


def test_library_names_the_parameter_and_the_looks():
    with pytest.raises(InvalidParameterError, match=r"`information_rates` of looks 2 and 3"):
        group_sequential_design(information_rates=[0.3, 0.6, 0.6000001, 1])
    d = group_sequential_design(kmax=3)
    with pytest.raises(InvalidParameterError, match="information_rates"):
        boundary_crossing(d, 0.0, information_rates=[0.4, 0.4000001, 1.0])
    with pytest.raises(InvalidParameterError, match="0.001"):
        monitor_sequential(d, z=[1.0, 1.5], information_rates=[0.4, 0.4000001])


def test_the_minimum_gap_itself_is_allowed():
    assert MIN_INFORMATION_GAP == 0.001
    d = group_sequential_design(information_rates=[0.5, 0.501, 1.0])
    assert d.inflation_factor >= 1 and d.alpha_spent[-1] == pytest.approx(0.025, rel=1e-9)


GAPS = [0.03, 0.01, 0.003, 0.001]


@pytest.mark.parametrize("first", [0.05, 0.5, 0.95])
@pytest.mark.parametrize("kind", ["asOF", "asP"])
def test_a_look_close_to_another_tends_to_the_merged_design(first, kind):
    """Sweep of gaps: (t, t + gap, 1) tends to (t, 1) as the gap shrinks, without a jump.

    The extra look spends almost no alpha, so the inflation factor and the last critical value
    approach those of the two-look design, the distance shrinking with the gap.
    """
    merged = group_sequential_design(information_rates=[first, 1.0], type_of_design=kind)
    distances = []
    for gap in GAPS:
        t = [first - gap, first, 1.0] if first + gap >= 1 else [first, first + gap, 1.0]
        if t[0] <= 0:
            continue
        d = group_sequential_design(information_rates=t, type_of_design=kind)
        assert d.inflation_factor >= 1.0
        assert d.alpha_spent[-1] == pytest.approx(0.025, rel=1e-9)
        assert max(d.stage_levels) <= 0.025 * (1 + 1e-9)
        distances.append(abs(d.inflation_factor - merged.inflation_factor)
                         + abs(d.critical_values[-1] - merged.critical_values[-1]))
    assert len(distances) == len(GAPS) and distances[-1] < 0.005
    # shrinking with the gap (within the engine's accuracy of about 1e-8)
    assert all(b <= a + 1e-8 for a, b in zip(distances, distances[1:], strict=False))


@pytest.mark.parametrize("options", [
    dict(type_of_design="asOF"),
    dict(type_of_design="OF"),
    dict(type_of_design="P"),
    dict(type_of_design="asHSD", gamma=-4),
    dict(futility="bsOF"),
    dict(futility="bsOF", binding=True),
    dict(futility=[0.0, 0.0], binding=True),
    dict(alternative="two-sided"),
    dict(alternative="two-sided", futility="bsOF"),
], ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("first", [0.2, 0.9])
def test_designs_at_the_minimum_gap_never_contradict_alpha(options, first):
    t = [first, first + MIN_INFORMATION_GAP, 1.0]
    d = group_sequential_design(information_rates=t, **options)
    assert d.inflation_factor >= 1.0
    assert d.alpha_spent[-1] <= d.alpha * (1 + 1e-9)
    if not d.binding:
        assert max(d.stage_levels) <= d.alpha / d.sided * (1 + 1e-9)


def test_monte_carlo_agrees_with_a_design_at_the_minimum_gap():
    """200,000 simulated Brownian paths cross the boundaries at the rate the design says.

    Under H0 the type I error is 0.025, under the design's drift the power 0.8; each within 4.5
    Monte Carlo standard errors.
    """
    t = np.array([0.5, 0.5 + MIN_INFORMATION_GAP, 1.0])
    d = group_sequential_design(information_rates=t.tolist())
    crit = np.asarray(d.critical_values)
    rng = np.random.default_rng(20261202)
    n = 200_000
    steps = rng.standard_normal((n, 3)) * np.sqrt(np.diff(t, prepend=0.0))
    for drift, target in ((0.0, d.alpha), (d.drift, 1 - d.beta)):
        s = np.cumsum(steps + drift * np.diff(t, prepend=0.0), axis=1)
        z = s / np.sqrt(t)
        rate = float(np.mean(np.any(z >= crit, axis=1)))
        assert abs(rate - target) <= 4.5 * math.sqrt(target * (1 - target) / n)


def test_a_boundary_that_cannot_be_solved_is_one_clear_error(capsys):
    with pytest.raises(ConvergenceError, match="could not be solved"):
        group_sequential_design(information_rates=[0.05, 0.06, 1.0], futility="bsOF")
    err = run_error(capsys, "design sequential --info 0.05,0.06,1 --futility bsOF", split=True)
    assert "could not be solved" in err


def test_command_line_accepts_looks_at_the_minimum_gap(capsys):
    out = run_json(capsys, "design sequential --kmax 3 --info 0.5,0.501,1", split=True,
                   add_json=True)
    assert out["inflation_factor"] >= 1


def test_a_design_contradicting_alpha_is_never_returned(monkeypatch):
    """The last check: characteristics that contradict alpha are an error, not a design."""
    import workbench.design.sequential as seq

    real = seq.characteristics

    def broken(*args, **kwargs):  # an engine that lost half of the information
        out = dict(real(*args, **kwargs))
        out["shift"] = 0.5 * out["n_fixed"]
        return out

    monkeypatch.setattr(seq, "characteristics", broken)
    with pytest.raises(ConvergenceError, match="inflation factor of 0.5"):
        group_sequential_design(kmax=3)
