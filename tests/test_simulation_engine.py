"""The simulation engine: reused work arrays, running sums, a bound on the replicates, both cores
for large runs, and the group-sequential simulation's follow-up.

Monte Carlo checks say their allowance: the mean number of events of the group-sequential
simulation lies within 4 Monte Carlo standard errors of the expectation computed from the design.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
import workbench._parallel as parallel
from tests.helpers import run_error
from workbench.design import SurvivalDesign
from workbench.exceptions import InvalidParameterError
from workbench.kernels.replicates import logrank_arrays
from workbench.kernels.workspace import reused_buffers
from workbench.power.simulation import (
    MAX_KEPT_REPLICATES,
    MAX_REPS,
    compare_tests,
    simulate_power,
)
from workbench.simulate.survival import simulate_survival_arrays

ROOT = Path(__file__).resolve().parents[1]


def _scenario(n_total=148):
    return SurvivalDesign.from_probabilities(
        {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=n_total, accrual_time=24,
        follow_up=48, follow_up_type="calendar")


def _gs3():
    return wb.group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")


def _expected_events(design) -> float:
    """Events expected by the end of every patient's fixed follow-up, exponential arms with an
    exponential loss to follow-up: n lambda / (lambda + mu) (1 - exp(-(lambda + mu) F))."""
    mu, f = design.dropout_rate, design.follow_up
    return sum(a.n * a.event_time.hazard / (a.event_time.hazard + mu)
               * (1 - math.exp(-(a.event_time.hazard + mu) * f)) for a in design.arms)


# --------------------------------------------------------------------------------------------
# work arrays reused between blocks
# --------------------------------------------------------------------------------------------
def test_reused_work_arrays_give_the_same_draws_and_statistics():
    design = _scenario()
    plain = simulate_survival_arrays(design, 300, rng=4)
    z = logrank_arrays(plain.time, plain.event, plain.arm == 0).z
    with reused_buffers():
        for _ in range(2):  # the second round runs in the first round's arrays
            block = design.simulate_block(300, np.random.default_rng(4))
            np.testing.assert_array_equal(block.time, plain.time)
            np.testing.assert_array_equal(block.event, plain.event)
            np.testing.assert_array_equal(
                logrank_arrays(block.time, block.event, block.arm == 0).z, z)


def test_arrays_outside_a_workspace_are_not_shared():
    design = _scenario()
    a = simulate_survival_arrays(design, 10, rng=1)
    b = simulate_survival_arrays(design, 10, rng=2)
    assert not np.shares_memory(a.time, b.time)
    assert not np.array_equal(a.time, b.time)


# --------------------------------------------------------------------------------------------
# running sums, and per-replicate values only when asked for
# --------------------------------------------------------------------------------------------
def test_power_keeps_no_per_replicate_values_by_default():
    res = simulate_power(_scenario(), n_reps=1200, type1=False, rng=3)
    assert res.replicates is None


def test_kept_replicates_agree_with_the_running_sums():
    design = _scenario()
    plain = simulate_power(design, n_reps=1200, rng=3)
    kept = simulate_power(design, n_reps=1200, rng=3, keep_replicates=True)
    assert kept.power == plain.power and kept.type1_error == plain.type1_error
    reps = kept.replicates
    assert len(reps) == 1200 and {"z", "events"} <= set(reps.columns)
    # the same replicates recounted independently from the kept statistics
    q = 1.959963984540054
    assert int((reps["z"].abs() >= q).sum()) == round(plain.power * 1200)
    assert reps["events"].mean() == pytest.approx(plain.mean_events, rel=1e-12)


def test_cox_estimates_from_running_sums_equal_those_of_the_kept_values():
    design = _scenario()
    kept = simulate_power(design, n_reps=1500, test="cox", type1=False, rng=8,
                          keep_replicates=True)
    est = kept.replicates["estimate"].to_numpy()
    assert kept.mean_estimate == pytest.approx(est.mean(), rel=1e-12)
    assert kept.empirical_se == pytest.approx(est.std(ddof=1), rel=1e-12)
    rows = compare_tests(design, tests=["cox"], n_reps=1500, rng=8)
    assert rows.loc[0, "power"] == kept.power
    assert rows.loc[0, "mean_estimate"] == pytest.approx(est.mean(), rel=1e-12)


def test_replicate_bound_is_refused_with_a_clear_message():
    design = _scenario()
    with pytest.raises(InvalidParameterError, match=r"`n_reps` must be at most 1,000,000,000"):
        simulate_power(design, n_reps=MAX_REPS + 1)
    with pytest.raises(InvalidParameterError, match="keep_replicates"):
        simulate_power(design, n_reps=MAX_KEPT_REPLICATES + 1, keep_replicates=True)
    with pytest.raises(InvalidParameterError, match="n_reps"):
        wb.simulate_survival_sequential(_gs3(), design, events=[22, 44, 65], n_reps=MAX_REPS + 1)


def test_replicate_bound_on_the_command_line(capsys):
    err = run_error(capsys, "power", "simulate", "t1", "--reps", str(MAX_REPS + 1))
    assert "--reps" in err and "at most 1,000,000,000" in err


# --------------------------------------------------------------------------------------------
# both cores for large runs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start, cpus, work, units, expected", [
    ("fork", 4, 1.0, 100, 4),          # at the threshold: every usable core
    ("fork", 4, 0.999, 100, None),     # below it: this process
    ("fork", 4, 10.0, 3, 3),           # no more processes than units of work
    ("fork", 4, 10.0, 1, None),        # one unit cannot be split
    ("fork", 1, 10.0, 100, None),      # one usable core
    ("spawn", 4, 9.99, 100, None),     # spawned workers need ten times the work
    ("spawn", 4, 10.0, 100, 4),
])
def test_auto_workers_rule(monkeypatch, start, cpus, work, units, expected):
    import multiprocessing

    monkeypatch.setattr(parallel, "process_context", lambda: multiprocessing.get_context(start))
    monkeypatch.setattr(parallel, "_usable_cpus", lambda: cpus)
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: None)
    assert parallel.auto_workers(work * parallel.AUTO_PARALLEL_WORK, units) == expected


def test_no_automatic_processes_inside_a_worker_process(monkeypatch):
    import multiprocessing

    monkeypatch.setattr(parallel, "_usable_cpus", lambda: 4)
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert parallel.auto_workers(100 * parallel.AUTO_PARALLEL_WORK, 100) is None


@pytest.mark.cluster
def test_automatic_processes_give_the_serial_numbers(monkeypatch):
    """A mid-size run above the (lowered) threshold runs on processes, bytes as one process."""
    design = _scenario()
    serial = simulate_power(design, n_reps=6000, chunk_size=1000, rng=11, workers=1)
    monkeypatch.setattr(parallel, "AUTO_PARALLEL_WORK", 1000)  # far below this run
    if parallel.auto_workers(6000 * design.n_total, 6) is None:
        pytest.skip("no automatic processes here (one usable core, or inside a worker process)")
    auto = simulate_power(design, n_reps=6000, chunk_size=1000, rng=11)
    assert auto.to_dict() == serial.to_dict()
    kw = dict(events=[22, 44, 65], n_reps=3000, chunk_size=1000, rng=2)
    trial = SurvivalDesign.from_probabilities(
        {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=150, accrual_time=24)
    a = wb.simulate_survival_sequential(_gs3(), trial, **kw)
    monkeypatch.setattr(parallel, "AUTO_PARALLEL_WORK", 10**12)
    b = wb.simulate_survival_sequential(_gs3(), trial, **kw)
    assert a.to_dict() == b.to_dict()


# --------------------------------------------------------------------------------------------
# group-sequential simulation: the trial's follow-up
# --------------------------------------------------------------------------------------------
def test_sequential_censors_at_the_fixed_follow_up():
    """T1: 92 patients each followed 48 months; about 33.4 events in all, so 65 never come."""
    t1 = wb.load_design("t1")
    sim = wb.simulate_survival_sequential(_gs3(), t1, events=[22, 44, 65], n_reps=2000, rng=1)
    assert sim.reached[2] == 0 and sim.reached[0] > 1900
    assert sum(sim.not_reached) + sim.early_stop * 2000 + sim.reached[2] == pytest.approx(2000)
    assert sim.not_reached[2] + sim.not_reached[1] > 1900
    assert sim.events_not_achieved == tuple(n / 2000 for n in sim.not_reached)
    assert np.isnan(sim.analysis_times[2]) and sim.analysis_times[0] < 72
    assert sim.study_duration <= t1.accrual_time + t1.follow_up
    table = sim.summary
    assert table["not_reached"].tolist() == list(sim.not_reached)


def test_sequential_events_at_study_end_match_the_design():
    """No look is ever reached: every trial runs to its end, where the mean number of events
    equals the design's expectation within 4 Monte Carlo standard errors."""
    t1 = wb.load_design("t1")
    n = 4000
    sim = wb.simulate_survival_sequential(_gs3(), t1, events=[80, 85, 90], n_reps=n, rng=5)
    assert sim.reached == (0, 0, 0) and sim.not_reached == (n, 0, 0) and sim.power == 0
    assert sim.early_stop == 0 and sim.futility_per_look == (0.0, 0.0)
    expected = _expected_events(t1)
    assert abs(sim.expected_events - expected) <= 4 * sim.expected_events_mcse, (
        sim.expected_events, expected)
    assert sim.expected_subjects == t1.n_total


def test_sequential_calendar_end_of_study():
    """A calendar end at month 36: no event after it counts, whatever the look."""
    trial = SurvivalDesign.from_probabilities(
        {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=150, accrual_time=24,
        follow_up=12, follow_up_type="calendar")
    sim = wb.simulate_survival_sequential(_gs3(), trial, events=[22, 44, 65], n_reps=1000, rng=3)
    assert sim.study_duration <= 36 + 1e-9
    assert all(math.isnan(t) or t <= 36 for t in sim.analysis_times)
    assert sim.not_reached[1] + sim.not_reached[2] > 0


def test_sequential_without_follow_up_censoring_follows_until_the_events():
    t1 = wb.load_design("t1")
    sim = wb.simulate_survival_sequential(_gs3(), t1, events=[22, 44, 65], n_reps=1000, rng=1,
                                          censor_at_follow_up=False)
    assert sim.reached[2] > 500 and sim.analysis_times[2] > 72


def test_sequential_censoring_argument_is_checked():
    with pytest.raises(InvalidParameterError, match="censor_at_follow_up"):
        wb.simulate_survival_sequential(_gs3(), wb.load_design("t1"), events=[22, 44, 65],
                                        n_reps=10, censor_at_follow_up="yes")


# --------------------------------------------------------------------------------------------
# the benchmark script runs (no timing is checked)
# --------------------------------------------------------------------------------------------
@pytest.mark.cluster
def test_engine_benchmark_runs_quickly():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--quick"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for line in ("x floor", "engine", "floor", "3-look sequential", "peak RSS MiB"):
        assert line in text
    assert "rpact" in text and "lifelines" in text
