"""Simulation of group-sequential survival trials (rpact getSimulationSurvival).

Each replicate is analysed with the log-rank test (or another planned test of the trial design:
weighted log-rank, MaxCombo, RMST, milestone, Cox) at the calendar times of the planned events, or
at planned calendar times.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._parallel import map_chunks, plan_blocks, spawned_seed
from ..._validation import check_bool, check_choice, check_int, seed_entropy, type_name
from ...design._boundaries import as_tuple, check_increasing, check_vector, to_last_look
from ...design.protocol import TrialDesign
from ...design.sequential import GroupSequentialDesign, check_design
from ...exceptions import InvalidParameterError, StatisticalWarning
from ...kernels.workspace import reused_buffers
from ...results import Result, table_text
from ..simulation import BLOCK, check_n_reps

__all__ = ["SequentialSimulation", "simulate_survival_sequential"]


# ============================================================================================
# simulation of event-driven group-sequential survival trials
# ============================================================================================
@dataclass(frozen=True)
class SequentialSimulation(Result):
    """Simulated operating characteristics of an event-driven group-sequential survival trial.

    Per-look sequences run over the looks. Probabilities come with their Monte Carlo standard
    error ``sqrt(p (1 - p) / n_reps)``; means with ``sd / sqrt(n_reps)``.

    Attributes
    ----------
    power, power_mcse : float
        Probability of rejecting H0 at some look.
    reject_per_look, futility_per_look : tuple of float
        Probability of stopping at each look for efficacy and for futility (Monte Carlo errors
        ``reject_per_look_mcse`` and the properties ``futility_per_look_mcse``,
        ``early_stop_mcse``).
    reached : tuple of int
        Replicates reaching each look (rpact's ``iterations``).
    analysis_times : tuple of float
        Mean calendar time of each look among the replicates reaching it.
    expected_events, expected_subjects, study_duration : float
        Means at stopping (events analysed, subjects enrolled, calendar time), with ``*_mcse``.
    events_not_achieved : tuple of float
        Share of replicates whose look's planned events never occur while the trial is still
        running (by the end of every patient's follow-up, or at all without follow-up
        censoring). As in rpact's ``getSimulationSurvival`` (its ``eventsNotAchieved``), that
        look and the later ones are not analysed: the trial ends without rejecting, at the end
        of the study (its events, subjects and duration are counted there), and is not counted
        in ``reached`` from that look on.
    not_reached : tuple of int
        The same as counts of replicates.
    type1_error, type1_mcse : float
        Rejection rate of the same procedure when both arms follow the control arm (NaN unless
        simulated).
    test : str
        The planned test analysed at each look.
    calendar : bool
        True when the looks were at planned calendar times (``analysis_times``); ``events`` is
        then the mean number of events at each look (rounded), over all replicates.
    """

    design: GroupSequentialDesign
    events: tuple[int, ...]
    n_reps: int
    power: float
    power_mcse: float
    reject_per_look: tuple[float, ...]
    reject_per_look_mcse: tuple[float, ...]
    futility_per_look: tuple[float, ...]
    early_stop: float
    reached: tuple[int, ...]
    analysis_times: tuple[float, ...]
    expected_events: float
    expected_events_mcse: float
    expected_subjects: float
    expected_subjects_mcse: float
    study_duration: float
    study_duration_mcse: float
    events_not_achieved: tuple[float, ...]
    type1_error: float
    type1_mcse: float
    n_total: int
    seed: int
    test: str = "logrank"
    calendar: bool = False
    not_reached: tuple[int, ...] = ()

    _title = "Simulated group-sequential trial"

    @property
    def futility_per_look_mcse(self) -> tuple[float, ...]:
        """Monte Carlo standard errors of ``futility_per_look``."""
        p = np.asarray(self.futility_per_look, dtype=float)
        return as_tuple(np.sqrt(p * (1 - p) / self.n_reps))

    @property
    def early_stop_mcse(self) -> float:
        """Monte Carlo standard error of ``early_stop``."""
        return math.sqrt(self.early_stop * (1 - self.early_stop) / self.n_reps)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns ``look, events, reached, analysis_time, reject_probability, reject_mcse,
        futility_probability, futility_mcse, cumulative_power, events_not_achieved,
        not_reached`` (``analysis_time`` is NaN for a look no replicate reached).
        """
        k = self.design.kmax
        return pd.DataFrame({
            "look": np.arange(1, k + 1), "events": self.events, "reached": self.reached,
            "analysis_time": self.analysis_times, "reject_probability": self.reject_per_look,
            "reject_mcse": self.reject_per_look_mcse,
            "futility_probability": to_last_look(self.futility_per_look, k),
            "futility_mcse": to_last_look(self.futility_per_look_mcse, k),
            "cumulative_power": np.cumsum(self.reject_per_look),
            "events_not_achieved": self.events_not_achieved,
            "not_reached": self.not_reached or (0,) * k,
        })

    def __str__(self) -> str:
        tail = (f"power {self.power:.1%} (MC SE {self.power_mcse:.1%}); expected events "
                f"{self.expected_events:.2f}, subjects {self.expected_subjects:.2f}, duration "
                f"{self.study_duration:.2f}; {self.n_reps} replicates")
        if not math.isnan(self.type1_error):
            tail += f"; type I error {self.type1_error:.2%} (MC SE {self.type1_mcse:.2%})"
        return f"{self._title}\n{table_text(self.summary)}\n{tail}"


class _Look:
    """The data of one look in the shape of a block of replicates (``time``, ``event``, ``arm``)."""

    def __init__(self, time, event, arm):
        self.time, self.event, self.arm = time, event, arm


def _look_statistic(trial, test, t, e, arm, direction) -> np.ndarray:
    """The planned test at one look, oriented so that large values favour the alternative."""
    if test == "logrank":
        from ...kernels.replicates import logrank_arrays

        return direction * logrank_arrays(t, e, arm == trial.experimental_index).z
    alternative = "less" if direction < 0 else "greater"
    out = trial.planned_tests[test](trial, _Look(t, e, arm), {"alternative": alternative})
    return direction * out["z"]


def _active_statistic(trial, test, t, e, arm, direction, active) -> np.ndarray:
    """The statistic of the replicates still running (NaN for those that stopped).

    Each replicate's statistic is computed from its own row alone, so analysing only the running
    rows gives them the same numbers and spares the rows that stopped at an earlier look.
    """
    rows = np.flatnonzero(active)
    if rows.size == active.size:
        return _look_statistic(trial, test, t, e, arm, direction)
    z = np.full(active.size, np.nan)
    if rows.size:
        arm_rows = arm if np.ndim(arm) == 1 else arm[rows]
        z[rows] = _look_statistic(trial, test, t[rows], e[rows], arm_rows, direction)
    return z


def _follow_up_end(trial, sims, entry) -> np.ndarray:
    """Each patient's administrative end of follow-up, as time from entry.

    The trial's rule: fixed follow-up per patient, or the calendar end of the study.
    """
    kind = getattr(trial, "follow_up_type", None)
    if kind == "fixed":
        return np.broadcast_to(float(trial.follow_up), entry.shape)
    if kind == "calendar":
        return trial.study_duration - entry
    return sims.admin_time


def _sequential_block(task) -> list[dict]:
    """Worker: simulate and analyse the blocks of one chunk (module level, picklable)."""
    (trial, crit, fut, events, direction, grid, root, (first, sizes), test, times,
     censor) = task

    parts = []
    k_max = len(events) if times is None else len(times)
    with reused_buffers():
        for b, size in enumerate(sizes, start=first):
            out = _analyse_block(trial, crit, fut, events, direction, grid,
                                 spawned_seed(root, b), size, test, times, censor, k_max)
            parts.append(_block_sums(out, k_max))
    return parts


def _moments(x: np.ndarray) -> tuple[int, float, float, float]:
    """Count, sum (exact for whole numbers), mean and sum of squared deviations."""
    total = float(x.sum())
    m = total / x.size
    return x.size, total, m, float(np.sum((x - m) ** 2))


def _add_moments(a: tuple[int, float, float, float], b: tuple[int, float, float, float]):
    """Chan's update: the moments of two parts together."""
    (na, ta, ma, sa), (nb, tb, mb, sb) = a, b
    n = na + nb
    delta = mb - ma
    return n, ta + tb, ma + delta * nb / n, sa + sb + delta * delta * na * nb / n


def _block_sums(out: dict[str, np.ndarray], k_max: int) -> dict:
    """What the summary needs from one block: counts per look, sums and moments."""
    looks = np.arange(1, k_max + 1)
    stop_at = out["stop"][:, None] == looks[None, :]
    rejected, short_end = out["rejected"], out["short_end"]
    reached = out["stop"][:, None] >= looks[None, :]
    return {
        "n": rejected.size,
        "rejected": int(np.count_nonzero(rejected)),
        "early": int(np.count_nonzero((out["stop"] < k_max) & ~short_end)),
        "reject_look": np.count_nonzero(stop_at & rejected[:, None], axis=0),
        "futility_look": np.count_nonzero(stop_at & ~rejected[:, None] & ~short_end[:, None],
                                          axis=0),
        "reached": np.count_nonzero(reached, axis=0),
        "time_sum": np.where(reached, out["look_time"], 0.0).sum(axis=0),
        "short": np.count_nonzero(out["short"], axis=0),
        "look_events": out["look_events"].sum(axis=0),
        "events": _moments(out["events"]),
        "subjects": _moments(out["subjects"]),
        "duration": _moments(out["duration"]),
    }


def _add_sums(acc: dict | None, part: dict) -> dict:
    if acc is None:
        return dict(part)
    out = {}
    for key, value in part.items():
        if key in ("events", "subjects", "duration"):
            out[key] = _add_moments(acc[key], value)
        else:
            out[key] = acc[key] + value
    return out


def _analyse_block(trial, crit, fut, events, direction, grid, seed, size, test, times, censor,
                   k_max) -> dict[str, np.ndarray]:
    """One block of replicates through every look."""
    sims = trial.simulate_block(size, seed)
    entry, et, dt = sims.entry, sims.event_time, sims.dropout_time
    if grid:
        entry = np.broadcast_to(_grid_entry(trial), entry.shape)
    if censor:
        admin = _follow_up_end(trial, sims, entry)
        lost = np.minimum(dt, admin)
        end = np.max(entry + admin, axis=1)  # calendar end of the study in each replicate
    else:
        lost = dt
        end = None
    observed = et <= lost
    ev_cal = np.where(observed, entry + et, np.inf)
    if times is None:
        # the calendar time of each look's k-th event (a row sort is several times faster than
        # np.partition with several k here)
        kth = np.sort(ev_cal, axis=1)[:, np.asarray(events) - 1]
        if end is None:  # followed until the last event
            end = np.max(np.where(np.isfinite(ev_cal), ev_cal, -np.inf), axis=1)
            end = np.where(np.isfinite(end), end, 0.0)
        reachable = np.isfinite(kth)
        look_time = np.where(reachable, kth, end[:, None])
    else:
        look_time = np.broadcast_to(np.asarray(times, dtype=float), (size, k_max))
        reachable = np.ones((size, k_max), dtype=bool)
    stop = np.zeros(size, dtype=int)  # the last look analysed (0: none)
    rejected = np.zeros(size, dtype=bool)
    short = np.zeros((size, k_max), dtype=bool)  # the first look whose events never came
    active = np.ones(size, dtype=bool)
    n_events = np.zeros((size, k_max))
    n_subj = np.zeros((size, k_max))
    for k in range(k_max):
        missing = active & ~reachable[:, k]
        short[:, k] = missing
        active &= ~missing
        cut = look_time[:, k][:, None]
        avail = cut - entry
        enrolled = avail >= 0
        t = np.clip(np.minimum(np.minimum(et, lost), avail), 0.0, None)
        e = enrolled & (ev_cal <= cut)  # calendar times: the event that defines the look counts
        z = _active_statistic(trial, test, t, e, sims.arm, direction, active)
        n_events[:, k] = e.sum(axis=1)
        n_subj[:, k] = enrolled.sum(axis=1)
        with np.errstate(invalid="ignore"):  # a NaN statistic neither rejects nor stops
            rej = active & (z >= crit[k])
            fut_k = (active & ~rej & (z <= fut[k]) if k < k_max - 1
                     else np.zeros(size, bool))
        stop[active] = k + 1
        rejected |= rej
        active &= ~(rej | fut_k)
    ended_short = short.any(axis=1)
    rows = np.arange(size)
    idx = np.maximum(stop - 1, 0)
    # a trial whose next look never came ends at the end of its follow-up (the events and
    # patients then seen); otherwise at its last look
    last_k = np.where(ended_short, short.argmax(axis=1), idx)
    return {
        "stop": stop, "rejected": rejected, "short_end": ended_short,
        "events": n_events[rows, last_k], "subjects": n_subj[rows, last_k],
        "duration": look_time[rows, last_k],
        "look_time": np.where(reachable, look_time, np.nan), "short": short,
        "look_events": n_events,
    }


def _grid_entry(trial) -> np.ndarray:
    """rpact's recruitment: patients enter at ``A k / N`` (k = 1..N).

    The arms are interleaved in proportion to their sizes (alternating for 1:1); patients come in
    the trial's arm order.
    """
    positions = np.concatenate([(np.arange(n) + 0.5) / n for n in trial.n_per_arm])
    arm = np.repeat(np.arange(len(trial.arms)), trial.n_per_arm)
    order = np.lexsort((arm, positions))
    slot = np.empty(trial.n_total)
    slot[order] = np.arange(1, trial.n_total + 1)
    return trial.accrual_time * slot / trial.n_total


def _run_sequential(trial, crit, fut, events, direction, grid, n_reps, root, *, chunk_size,
                    workers, client, progress, test="logrank", times=None,
                    censor=True) -> dict:
    """Running sums over the replicates (blocks added in order: the same for any chunking)."""
    looks = len(events) if times is None else len(times)
    units, workers, progress = plan_blocks(n_reps, BLOCK, chunk_size,
                                           n_reps * trial.n_total * looks,
                                           workers=workers, client=client, progress=progress)
    tasks = [(trial, crit, fut, events, direction, grid, root, r, test, times, censor)
             for r in units]
    parts = map_chunks(_sequential_block, tasks, workers=workers, client=client,
                       progress=progress)
    acc = None
    for chunk in parts:
        for block in chunk:
            acc = _add_sums(acc, block)
    assert acc is not None  # n_reps >= 1
    return acc


def simulate_survival_sequential(design: GroupSequentialDesign, trial, *, events=None,
                                 analysis_times=None, test: str = "logrank",
                                 n_reps: int = 1000,
                                 type1: bool = False, entry: str = "uniform", rng=None,
                                 chunk_size: int = 10_000,
                                 workers: int | None = None, client=None,
                                 progress: bool | None = None,
                                 censor_at_follow_up: bool = True) -> SequentialSimulation:
    """Simulate an event-driven group-sequential survival trial (rpact getSimulationSurvival).

    Each replicate of ``trial`` is analysed with the log-rank test at the calendar times when the
    cumulative numbers of events in ``events`` are reached, and stops at the first look whose
    statistic crosses the design's efficacy bound (or futility bound); the design's critical
    values are used as they are.

    Parameters
    ----------
    design : GroupSequentialDesign
        One-sided design: ``alternative="less"`` rejects for a hazard ratio below 1 (the usual),
        "greater" above 1 (the log-rank statistic of the experimental arm is compared with the
        bounds with its sign flipped for "less").
    trial : SurvivalDesign
        Two arms, the experimental arm first; its accrual, event-time distributions, cure
        fractions, loss to follow-up and follow-up rule are simulated: each patient is censored
        at the end of their follow-up (``follow_up_type="fixed"``: ``follow_up`` after entry;
        ``"calendar"``: the study's calendar end), so a look whose planned events never occur
        within follow-up is reported in ``events_not_achieved`` and ``not_reached``.
    events : sequence of int, optional
        Cumulative events at each look (``kmax`` values, strictly increasing).
    analysis_times : sequence of float, optional
        Calendar times of the looks instead (``kmax`` values, strictly increasing, from the first
        entry). Exactly one of ``events`` and ``analysis_times``.
    test : str, default "logrank"
        A planned test of ``trial`` (``trial.planned_tests``): for a SurvivalDesign also
        ``"cox"``, ``"fh:RHO:GAMMA"``, ``"mb:T_STAR"``, ``"maxcombo"``, ``"rmst:TAU"``,
        ``"milestone:TIME"``. Each look compares the test's statistic (for MaxCombo the normal
        quantile of its one-sided p-value) with the design's critical value: the bounds are used on
        the nominal scale, so for tests other than the log-rank check the type I error with
        ``type1=True``.
    n_reps : int >= 1, default 1000
    type1 : bool, default False
        Also simulate the trial with both arms following the control arm (type I error).
    entry : {"uniform", "grid"}, default "uniform"
        Entry times drawn uniformly over the accrual period (as :func:`workbench.simulate`), or
        rpact's deterministic recruitment: patient ``k`` of ``N`` enters at ``A k / N``, the arms
        interleaved (alternating for 1:1), the same in every replicate.
    rng : int seed, numpy Generator, SeedSequence or None
    chunk_size, workers, client, progress :
        As in :func:`workbench.power.simulation.simulate_power`: the same seed gives the same
        numbers whatever ``chunk_size``, ``workers`` or ``client``; ``workers=None`` uses every
        core for large runs.
    censor_at_follow_up : bool, default True
        Censor each patient at the end of the trial's follow-up. False follows every patient
        until the last look, as rpact's ``getSimulationSurvival`` does (it has no follow-up
        limit).

    Returns
    -------
    SequentialSimulation

    Warns
    -----
    StatisticalWarning
        When the trial's effect lies on the other side than the design's alternative (the
        simulated power is then that of a test in the other direction).

    Notes
    -----
    Vectorised over replicates (blocks of :data:`workbench.power.simulation.BLOCK`, one log-rank
    per look per block, no loop per replicate; the blocks reuse their work arrays). Compared in
    the tests with rpact 3.3.4 ``getSimulationSurvival`` (10,000 and 100,000 iterations, with
    ``censor_at_follow_up=False``) within Monte Carlo error. When a look's planned events are
    not reached, rpact counts it in ``eventsNotAchieved`` and leaves the stage loop of that
    iteration (``getSimulationStepResultsSurvival`` in rpact's
    ``src/f_simulation_base_survival.cpp``: no test at that stage or later, no rejection); this
    function does the same, and reports the trial's end at the end of its follow-up.

    Examples
    --------
    >>> from workbench.design import SurvivalDesign, group_sequential_design
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    >>> trial = SurvivalDesign.from_probabilities({"combination": 0.27, "pharmacotherapy": 0.47},
    ...     at=48, n_total=150, accrual_time=24)
    >>> sim = simulate_survival_sequential(d, trial, events=[22, 44, 65], n_reps=500, rng=1,
    ...                                    censor_at_follow_up=False)   # as rpact
    >>> round(sim.power, 2), sim.reached[0]
    (0.8, 500)

    With the trial's own follow-up (48 months per patient), about 55 events are expected in all,
    so the third look is rarely reached:

    >>> sim = simulate_survival_sequential(d, trial, events=[22, 44, 65], n_reps=500, rng=1)
    >>> sim.reached[2] < 100 < sim.not_reached[2]
    True
    """
    design = check_design(design)
    if design.sided != 1:
        raise InvalidParameterError(
            "`design` must be one-sided (`alternative` 'less' or 'greater') for the simulation; "
            f"got alternative={design.alternative!r}.")
    if not isinstance(trial, TrialDesign) or trial.effect_name != "hazard_ratio":
        raise InvalidParameterError(
            "`trial` must be a time-to-event design (such as a SurvivalDesign) whose replicates "
            f"carry entry and event times; got {type_name(trial)}."
        )
    if len(trial.arms) != 2:
        raise InvalidParameterError(
            f"`trial` must have two arms (experimental first); got {len(trial.arms)}."
        )
    if (events is None) == (analysis_times is None):
        raise InvalidParameterError("give exactly one of `events` and `analysis_times`.")
    times_t = None
    if events is not None:
        ev = check_vector("events", events, design.kmax)
        if np.any(ev < 1) or np.any(ev != np.round(ev)):
            raise InvalidParameterError(
                f"`events` must be whole numbers >= 1; got {list(events)!r}.")
        check_increasing(ev, "events")
        if ev[-1] > trial.n_total:
            raise InvalidParameterError(
                f"`events`: {int(ev[-1])} events cannot occur among {trial.n_total} patients."
            )
    else:
        at = check_vector("analysis_times", analysis_times, design.kmax)
        if not np.all(np.isfinite(at)) or np.any(at <= 0):
            raise InvalidParameterError(
                f"`analysis_times` must be finite times > 0; got {list(analysis_times)!r}.")
        check_increasing(at, "analysis_times")
        times_t = tuple(float(x) for x in at)
        ev = np.zeros(design.kmax)
    if test not in trial.planned_tests:
        raise InvalidParameterError(
            f"`test` must be a planned test of the trial ({list(trial.planned_tests)}"
            + (f" or a name of the form {list(trial.planned_tests.patterns)}"
               if hasattr(trial.planned_tests, "patterns") else "") + f"); got {test!r}.")
    trial.planned_tests[test]  # a malformed parameterised name raises its own error here
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    type1 = check_bool("type1", type1)
    censor_at_follow_up = check_bool("censor_at_follow_up", censor_at_follow_up)
    n_reps = check_n_reps(n_reps)
    grid = check_choice("entry", entry, ("uniform", "grid")) == "grid"
    entropy = seed_entropy(rng)
    events_t = tuple(int(x) for x in ev)  # zeros for calendar looks, filled in below
    crit = np.asarray(design.critical_values)
    fut = (np.append(design.futility_bounds, -math.inf) if design.futility_bounds
           else np.full(design.kmax, -math.inf))
    side = None if trial.null_design() == trial else trial.effect_direction
    if side is not None and side != design.alternative:
        warnings.warn(
            f"the trial's effect is on the side {side!r} but the design's alternative is "
            f"{design.alternative!r}: this simulates a one-sided test in the other direction.",
            StatisticalWarning, stacklevel=2)
    direction = -1 if design.alternative == "less" else 1
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress,
              test=test, times=times_t, censor=censor_at_follow_up)
    out = _run_sequential(trial, crit, fut, events_t, direction, grid, n_reps,
                          np.random.SeedSequence(entropy, spawn_key=(0,)), **kw)
    type1_error = type1_mcse = math.nan
    if type1:
        out0 = _run_sequential(trial.null_design(), crit, fut, events_t, direction, grid, n_reps,
                               np.random.SeedSequence(entropy, spawn_key=(1,)), **kw)
        type1_error = out0["rejected"] / n_reps
        type1_mcse = math.sqrt(type1_error * (1 - type1_error) / n_reps)

    rej = out["reject_look"] / n_reps
    futil = (out["futility_look"] / n_reps)[:-1]
    reached = out["reached"]
    with np.errstate(invalid="ignore"):
        times = out["time_sum"] / reached

    def _mean(moments):
        n, total, _, m2 = moments
        return total / n, math.sqrt(m2 / (n - 1)) / math.sqrt(n) if n > 1 else math.nan

    if times_t is not None:
        events_t = tuple(int(round(x)) for x in out["look_events"] / n_reps)
    power = out["rejected"] / n_reps
    early = out["early"] / n_reps
    e_mean, e_se = _mean(out["events"])
    s_mean, s_se = _mean(out["subjects"])
    d_mean, d_se = _mean(out["duration"])
    return SequentialSimulation(
        design=design, events=events_t, n_reps=n_reps, power=power,
        power_mcse=math.sqrt(power * (1 - power) / n_reps), reject_per_look=as_tuple(rej),
        reject_per_look_mcse=as_tuple(np.sqrt(rej * (1 - rej) / n_reps)),
        futility_per_look=as_tuple(futil), early_stop=early,
        reached=tuple(int(x) for x in reached), analysis_times=as_tuple(times),
        expected_events=e_mean, expected_events_mcse=e_se, expected_subjects=s_mean,
        expected_subjects_mcse=s_se, study_duration=d_mean, study_duration_mcse=d_se,
        events_not_achieved=as_tuple(out["short"] / n_reps),
        not_reached=tuple(int(x) for x in out["short"]), type1_error=type1_error,
        type1_mcse=type1_mcse, n_total=trial.n_total, seed=entropy, test=test,
        calendar=times_t is not None,
    )
