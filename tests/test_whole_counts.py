"""Sizes are whole numbers of patients; a power is never printed beside a count it is not of.

A fractional size used to be printed rounded ("n per arm 11") beside the power of the unrounded
one (10.5 patients), and ``--events 10.5`` as "events 11". The command line now refuses
fractional patients (``--n1``, ``--n2``, ``--n``), naming the option, and takes 10.0 as 10.
``--events`` may be an expected number of events (rpact's getPowerSurvival takes 35.04): its power
is reported with that number and no rounded count. Observed events (``monitor_logrank``) are whole.
The library keeps unrounded sizes where they are the exact solution of a sample size
(``power_rates(n1=res.n_exact[0], ...)``, as rpact takes them).
"""

from __future__ import annotations

import pytest

from tests.helpers import run_error, run_json
from workbench import InvalidParameterError, group_sequential_design
from workbench.cli import main
from workbench.power.analytic import power_rates, power_survival
from workbench.power.sequential import monitor_logrank

RATES = "power rates --p1 0.3 --p2 0.5"
SURVIVAL = "power survival --hazard-ratio 0.7"
SURVIVAL_N = "power survival --hazard-ratio 0.7 --p2 0.3 --at 12 --follow-up 12"
NPH = ("power nph --control-median 12 --hr 1,0.6 --change-at 4 --accrual 18 --study-duration 36 "
       "--dropout-hazard 0.001 --alpha 0.025 --sided 1")
MONITOR = "design monitor --kmax 3 --z=-1.2,-2.9 --max-events 65"


@pytest.mark.parametrize(("command", "option", "value"), [
    (f"{RATES} --n1 10.5 --n2 50", "--n1", "10.5"),
    (f"{RATES} --n1 50 --n2 50.25", "--n2", "50.25"),
    (f"{RATES} --n 100.5", "--n", "100.5"),
    (f"{SURVIVAL_N} --n 100.5", "--n", "100.5"),
    (f"{SURVIVAL_N} --n1 50.5 --n2 50", "--n1", "50.5"),
    (f"{NPH} --n 400.5", "--n", "400.5"),
    (f"{MONITOR} --events 22.5,41", "--events", "22.5"),
])
def test_command_line_refuses_fractional_counts(capsys, command, option, value):
    err = run_error(capsys, command, split=True)
    assert f"`{option}`" in err and value in err and "whole number" in err


@pytest.mark.parametrize(("fraction", "whole"), [
    (f"{RATES} --n1 10.0 --n2 50.0", f"{RATES} --n1 10 --n2 50"),
    (f"{RATES} --n 100.0", f"{RATES} --n 100"),
    (f"{SURVIVAL} --events 66.0", f"{SURVIVAL} --events 66"),
    (f"{SURVIVAL_N} --n 100.0", f"{SURVIVAL_N} --n 100"),
])
def test_command_line_takes_a_whole_float_as_the_integer(capsys, fraction, whole):
    a = run_json(capsys, fraction, split=True, add_json=True)
    b = run_json(capsys, whole, split=True, add_json=True)
    assert a == b


def test_rates_power_is_that_of_the_printed_size(capsys):
    out = run_json(capsys, f"{RATES} --n1 11 --n2 50", split=True, add_json=True)
    assert out["n_per_arm"] == [11, 50]
    assert out["power"] == power_rates(0.3, 0.5, n1=11, n2=50).power


def test_survival_events_printed_are_those_of_the_power(capsys):
    out = run_json(capsys, f"{SURVIVAL} --events 11", split=True, add_json=True)
    assert out["events"] == 11 and out["events_exact"] == 11
    assert out["power"] == power_survival(0.7, events=11).power


@pytest.mark.parametrize("kmax", [[], ["--kmax", "3"]], ids=["fixed", "sequential"])
def test_expected_events_are_reported_as_given(capsys, kmax):
    """--events 10.5: the power of 10.5 events, and no "11" anywhere beside it."""
    out = run_json(capsys, [*f"{SURVIVAL} --events 10.5".split(), *kmax], add_json=True)
    assert out["events"] is None and out["events_exact"] == 10.5
    code = main([*f"{SURVIVAL} --events 10.5".split(), *kmax])
    text = capsys.readouterr().out
    assert code == 0 and "10.5" in text and "events 11" not in text
    if not kmax:
        assert out["power"] == power_survival(0.7, events=10.5).power
        assert "expected number" in text


def test_power_nph_command_line_refuses_a_fractional_total_but_takes_a_whole_float(capsys):
    a = run_json(capsys, f"{NPH} --n 400.0", split=True, add_json=True)
    b = run_json(capsys, f"{NPH} --n 400", split=True, add_json=True)
    assert a == b and a["n_total"] == 400


def test_monitor_logrank_refuses_fractional_observed_events():
    d = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    with pytest.raises(InvalidParameterError, match=r"`events`.*22\.5"):
        monitor_logrank(d, z=[-1.2, -2.9], events=[22.5, 41], max_events=65)
    a = monitor_logrank(d, z=[-1.2, -2.9], events=[22.0, 41.0], max_events=65)
    b = monitor_logrank(d, z=[-1.2, -2.9], events=[22, 41], max_events=65)
    assert a.decisions == b.decisions and list(a.estimates) == list(b.estimates)


def test_library_keeps_the_exact_solution_of_a_sample_size():
    """The unrounded size a sample size returns gives back the target power (rpact's way)."""
    res = power_rates(0.3, 0.5, power=0.8)
    back = power_rates(0.3, 0.5, n1=res.n_exact[0], n2=res.n_exact[1])
    assert back.power == pytest.approx(0.8, abs=1e-6)
