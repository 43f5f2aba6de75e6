"""Power by simulation: replicate the trial many times and analyse each with the planned test.

:func:`simulate_power` simulates ``n_reps`` replicates of a workbench design (time to event,
binary or continuous), analyses every replicate with the planned test (log-rank or Cox Wald for
time to event; the two-proportion chi-square / z test for rates, Farrington-Manning with a
non-inferiority margin; t-test or ANCOVA for a continuous end point) and returns the power with
its Monte Carlo standard error and interval, and the type I error under the null beside it.
:func:`power_curve` gives tidy power curves over sample size and effect, and
:func:`simulated_sample_size` searches the sample size reaching a target power.

Randomness and reproducibility
------------------------------
Replicates come in fixed blocks of :data:`BLOCK` (500); block ``b`` draws from child ``b`` of
``SeedSequence(seed)`` (``spawn_key`` ``(k, b)``, ``k = 0`` for the design, ``1`` for its null).
Work is dispatched in chunks of whole blocks, so the numbers are the same whatever ``chunk_size``
and whatever the number of worker processes or Dask workers. The simulators draw patient by
patient, so designs that differ only in sample size or effect see the same random numbers for the
same patients (common random numbers): power curves over N are smooth and the sample-size search
compares like with like.

Speed
-----
No Python loop runs per replicate: each block is simulated as ``(500, n)`` arrays and analysed by
the vectorised tests of :mod:`workbench.kernels.replicates`. Blocks are small enough to stay in
the processor's cache, and memory does not grow with the number of replicates: each block is
reduced at once to running sums (rejections, events, the estimate's mean and squared deviations;
:class:`RunningSums`), added in block order, and the seed of each block is made when the block runs.
The per-replicate values are kept only with ``keep_replicates=True``.

Runs of at least 20 million patient-replicates use every usable core when ``workers`` is None
(:func:`workbench._parallel.auto_workers`), with the same numbers as one process.

Every block needs arrays of the same sizes. Were they allocated afresh, glibc's allocator would
hand the freed memory back to the system after each block and the next one would touch fresh
pages, which on Linux costs about as much as the arithmetic; so the draws and the log-rank kernels
take their work arrays from one workspace per unit of work
(:func:`workbench.kernels.workspace.reused_buffers`). The older opt-in, the environment variable
``WORKBENCH_MALLOC_TUNING=1`` (glibc keeps up to 64 MiB of freed memory at the top of the heap,
``mallopt(M_TOP_PAD)``, for the whole process), still works but no longer gains anything on the
log-rank path.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._parallel import map_chunks, plan_blocks, spawned_seed
from .._validation import (
    check_alternative,
    check_bool,
    check_choice,
    check_int,
    check_positive,
    check_probability,
    seed_entropy,
    type_name,
)
from ..design.binary import BinaryDesign
from ..design.continuous import ContinuousDesign
from ..design.protocol import TrialDesign
from ..design.survival import Exponential, SurvivalDesign
from ..exceptions import InvalidParameterError
from ..kernels.workspace import reused_buffers
from ..results import Result
from .analytic import power_rates, power_survival, power_ttest

__all__ = [
    "BLOCK",
    "MAX_REPS",
    "MAX_KEPT_REPLICATES",
    "RunningSums",
    "check_n_reps",
    "SimulatedPower",
    "SampleSizeSearch",
    "simulate_power",
    "power_curve",
    "simulated_sample_size",
    "closed_form_power",
    "closed_form_n_total",
    "compare_tests",
]

#: replicates per random stream (fixed: the numbers depend on it)
BLOCK = 500
#: most replicates of one simulation (memory does not grow with them: running sums)
MAX_REPS = 1_000_000_000
#: most replicates whose per-replicate values are kept (``keep_replicates=True``)
MAX_KEPT_REPLICATES = 10_000_000
_DEFAULT_CHUNK = 10_000

_SIDES = {"two-sided": 2, "less": 1, "greater": 1}


# --------------------------------------------------------------------------------------------
# the design protocol: simulate and analyse one block
# --------------------------------------------------------------------------------------------
def _check_design(design) -> TrialDesign:
    if not isinstance(design, TrialDesign):
        missing = [m for m in ("arms", "experimental_index", "control_index", "effect_name",
                               "with_effect", "null_design", "with_total", "simulate_block",
                               "planned_tests") if not hasattr(design, m)]
        raise InvalidParameterError(
            f"`design` must implement the design protocol (workbench.design.protocol."
            f"TrialDesign; for example a SurvivalDesign, BinaryDesign or ContinuousDesign); "
            f"got {type_name(design)}, which lacks {', '.join(missing)}."
        )
    n_arms = len(design.arms)
    if n_arms != 2:
        raise InvalidParameterError(
            f"simulation power compares two arms; `design` has {n_arms} "
            f"({list(design.arm_names)}). "
            "Make a two-arm design of the comparison of interest."
        )
    return design


def _block_stats(design, tests: tuple[str, ...], options: dict, seed,
                 size: int) -> dict[str, dict[str, np.ndarray]]:
    """Each planned test's values per replicate, on ``size`` replicates simulated once.

    Returns test name -> {"z": ..., ...}.
    """
    block = design.simulate_block(size, seed)
    stats = {}
    for test in tests:
        out = design.planned_tests[test](design, block, options)
        if "events" not in out:
            out = {**out, "events": np.full(size, float(design.n_total))}
        stats[test] = out
    return stats


@functools.singledispatch
def closed_form_power(design, test: str, alpha: float, alternative: str
                      ) -> tuple[float | None, str]:
    """The closed-form power matching a simulation, or ``(None, reason)`` when there is none.

    A design type registers its closed form with ``@closed_form_power.register``; the default
    has none.
    """
    return None, f"no closed form for a {type_name(design)}"


def _no_effect(alpha: float) -> tuple[float, str]:
    return alpha, "no effect: the rejection rate is alpha"


@closed_form_power.register
def _(design: SurvivalDesign, test: str, alpha: float, alternative: str):
    if test not in ("logrank", "cox"):
        return None, f"no closed form here for {test!r} (fixed designs: workbench.power.nph)"
    a, c = design.arms[design.experimental_index], design.arms[design.control_index]
    if not (isinstance(a.event_time, Exponential) and isinstance(c.event_time, Exponential)
            and a.cure_fraction == 0 and c.cure_fraction == 0):
        return None, "closed form needs exponential arms without cure"
    if a.event_time.hazard == c.event_time.hazard:
        return _no_effect(alpha)
    res = power_survival(
        a.event_time.hazard / c.event_time.hazard, lambda2=c.event_time.hazard,
        n1=a.n, n2=c.n, alpha=alpha, alternative=alternative,
        accrual_time=design.accrual_time, follow_up=design.follow_up,
        follow_up_type=design.follow_up_type, dropout_rate=design.dropout_rate,
    )
    return res.power, "Schoenfeld (1983), events expected under accrual and drop-out"


def _binary_rates(design: BinaryDesign) -> tuple[float, float, float, float]:
    """Rates and sizes the planned test compares: (p1, p2, n1, n2), experimental first."""
    a, c = design.arms[design.experimental_index], design.arms[design.control_index]
    assert a.p is not None and c.p is not None  # set for every constructed arm
    da, dc = design.arm_dropout(a), design.arm_dropout(c)
    if design.missing in ("nri", "both"):
        bad_a = 0.0 if design.higher_is_better else da
        bad_c = 0.0 if design.higher_is_better else dc
        return a.p * (1 - da) + bad_a, c.p * (1 - dc) + bad_c, a.n, c.n
    return a.p, c.p, a.n * (1 - da), c.n * (1 - dc)


@closed_form_power.register
def _(design: BinaryDesign, test: str, alpha: float, alternative: str):
    p1, p2, n1, n2 = _binary_rates(design)
    margin = design.margin or 0.0
    if margin == 0 and p1 == p2:
        return _no_effect(alpha)
    if not (0 < p1 < 1 and 0 < p2 < 1):
        return None, "closed form needs rates strictly between 0 and 1"
    res = power_rates(float(p1), float(p2), n1=n1, n2=n2, alpha=alpha, alternative=alternative,
                      margin=margin)
    return res.power, res.reference


@closed_form_power.register
def _(design: ContinuousDesign, test: str, alpha: float, alternative: str):
    d = design.endpoint_effect_size
    if d == 0:
        return _no_effect(alpha)
    if test != "t-test":
        return None, "closed-form ANCOVA power is workbench.power_ancova"
    comp = design.completion_probability
    a, c = design.arms[design.experimental_index], design.arms[design.control_index]
    res = power_ttest(d, n1=a.n * comp, n2=c.n * comp, alpha=alpha, alternative=alternative)
    return res.power, "two-sample t-test (statsmodels), expected completers"


@functools.singledispatch
def closed_form_n_total(design, test: str, alpha: float, alternative: str,
                        power: float) -> int | None:
    """Closed-form total sample size for the design's effect, or None when there is none.

    The start of :func:`simulated_sample_size`.
    """
    return None


@closed_form_n_total.register
def _(design: SurvivalDesign, test, alpha, alternative, power):
    if test not in ("logrank", "cox"):
        return None
    a, c = design.arms[design.experimental_index], design.arms[design.control_index]
    if not (isinstance(a.event_time, Exponential) and isinstance(c.event_time, Exponential)
            and a.cure_fraction == 0 and c.cure_fraction == 0):
        return None
    return power_survival(
        a.event_time.hazard / c.event_time.hazard, lambda2=c.event_time.hazard, power=power,
        alpha=alpha, alternative=alternative, allocation_ratio=a.n / c.n,
        accrual_time=design.accrual_time, follow_up=design.follow_up,
        follow_up_type=design.follow_up_type, dropout_rate=design.dropout_rate,
    ).n_total


@closed_form_n_total.register
def _(design: BinaryDesign, test, alpha, alternative, power):
    a, c = design.arms[design.experimental_index], design.arms[design.control_index]
    assert a.p is not None and c.p is not None  # set for every constructed arm
    da, dc = design.arm_dropout(a), design.arm_dropout(c)
    bad_a, bad_c = (0.0, 0.0) if design.higher_is_better else (da, dc)
    p1, p2 = a.p * (1 - da) + bad_a, c.p * (1 - dc) + bad_c  # rates under non-responder imputation
    return power_rates(float(p1), float(p2), power=power, alpha=alpha, alternative=alternative,
                       allocation_ratio=a.n / c.n, margin=design.margin or 0.0).n_total


# --------------------------------------------------------------------------------------------
# running the replicates
# --------------------------------------------------------------------------------------------
_MALLOC_TUNED = False


def _tune_malloc() -> None:
    """Keep freed memory for the next block (glibc ``M_TOP_PAD``), only when asked for.

    Asked for with the environment variable ``WORKBENCH_MALLOC_TUNING=1``; see the module notes.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    if os.environ.get("WORKBENCH_MALLOC_TUNING", "").strip().lower() not in ("1", "true", "yes"):
        return
    _MALLOC_TUNED = True
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(-2, 64 << 20)  # M_TOP_PAD = -2
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


class RunningSums:
    """Running sums of one planned test over replicates: what the power estimate needs.

    Blocks are added in replicate order (:meth:`add`), so the sums are the same whatever the
    chunks and workers. The per-replicate values are kept only when asked for (``keep``).
    """

    def __init__(self) -> None:
        self.n = 0
        self.rejected = 0
        self.events = 0.0
        self.failed = 0
        self.est_n = 0
        self.est_mean = 0.0
        self.est_m2 = 0.0
        self.se_sum = 0.0
        self.covered = 0
        self.has_estimate = False
        self.has_se = False
        self.kept: list[dict[str, np.ndarray]] = []

    @classmethod
    def of_block(cls, out: dict[str, np.ndarray], spec: tuple) -> RunningSums:
        """The sums of one block's values.

        ``spec`` is ``(alpha, alternative, conf_level, effect, keep)``.
        """
        alpha, alternative, conf_level, effect, keep = spec
        s = cls()
        z = out["z"]
        s.n = z.size
        s.rejected = int(np.count_nonzero(_reject(out, alpha, alternative)))
        s.events = float(np.sum(out["events"]))
        ok = np.isfinite(z)
        n_ok = int(np.count_nonzero(ok))
        s.failed = s.n - n_ok
        if "estimate" in out:
            s.has_estimate = True
            est = out["estimate"][ok]
            s.est_n = n_ok
            if n_ok:
                s.est_mean = float(est.mean())
                s.est_m2 = float(np.sum((est - s.est_mean) ** 2))
            if "se" in out and effect is not None:
                s.has_se = True
                se = out["se"][ok]
                q = (special.stdtrit(out["df"][ok], 0.5 + conf_level / 2) if "df" in out
                     else special.ndtri(0.5 + conf_level / 2))
                s.se_sum = float(se.sum())
                s.covered = int(np.count_nonzero(np.abs(est - effect) <= q * se))
        if keep:
            s.kept.append({k: np.array(v) for k, v in out.items()})  # copies: no work arrays
        return s

    def add(self, other: RunningSums) -> None:
        """Add the next block's sums (Chan's update of the mean and the squared deviations)."""
        if other.est_n:
            n = self.est_n + other.est_n
            delta = other.est_mean - self.est_mean
            self.est_mean += delta * other.est_n / n
            self.est_m2 += other.est_m2 + delta * delta * self.est_n * other.est_n / n
            self.est_n = n
        self.n += other.n
        self.rejected += other.rejected
        self.events += other.events
        self.failed += other.failed
        self.se_sum += other.se_sum
        self.covered += other.covered
        self.has_estimate |= other.has_estimate
        self.has_se |= other.has_se
        self.kept.extend(other.kept)

    @property
    def mean_events(self) -> float:
        """Mean number of events (or patients analysed) per replicate."""
        return self.events / self.n

    def replicates(self) -> pd.DataFrame | None:
        """The kept per-replicate values, one row per replicate (None when not kept)."""
        if not self.kept:
            return None
        cols = {k: np.concatenate([p[k] for p in self.kept]) for k in self.kept[0]}
        return pd.DataFrame(cols)


def _run_task(task) -> list[dict[str, RunningSums]]:
    """Worker: simulate and analyse the blocks of one chunk (module level, picklable).

    Returns the sums of each block, test by test, in block order.
    """
    _tune_malloc()
    design, tests, options, spec, root, (first, sizes) = task
    parts = []
    with reused_buffers():
        for b, size in enumerate(sizes, start=first):
            stats = _block_stats(design, tests, options, spawned_seed(root, b), size)
            parts.append({t: RunningSums.of_block(stats[t], spec) for t in tests})
    return parts


def _simulate_tests(design, tests: tuple[str, ...], options, n_reps, entropy, scenario, *,
                    chunk_size, workers, client, progress, alpha, alternative,
                    conf_level=0.95, keep=False) -> dict[str, RunningSums]:
    """Simulate ``n_reps`` replicates once and analyse each with every test in ``tests``."""
    root = np.random.SeedSequence(entropy, spawn_key=(scenario,))
    units, workers, progress = plan_blocks(n_reps, BLOCK, chunk_size,
                                           n_reps * design.n_total * len(tests),
                                           workers=workers, client=client, progress=progress)
    spec = (alpha, alternative, conf_level, design.effect, keep)
    tasks = [(design, tests, options, spec, root, r) for r in units]
    parts = map_chunks(_run_task, tasks, workers=workers, client=client, progress=progress)
    sums = {t: RunningSums() for t in tests}
    for chunk in parts:
        for block in chunk:
            for t in tests:
                sums[t].add(block[t])
    return sums


def _simulate(design, test, options, n_reps, entropy, scenario, **kw) -> RunningSums:
    """One planned test's sums (see :func:`_simulate_tests`)."""
    return _simulate_tests(design, (test,), options, n_reps, entropy, scenario, **kw)[test]


def _reject(out: dict[str, np.ndarray], alpha: float, alternative: str) -> np.ndarray:
    """Rejections per replicate (a NaN statistic is never a rejection)."""
    z = out["z"]
    sides = _SIDES[alternative]
    q: np.ndarray | float
    if "df" in out:
        q = special.stdtrit(out["df"], 1 - alpha / sides)
    else:
        q = special.ndtri(1 - alpha / sides)
    with np.errstate(invalid="ignore"):
        if alternative == "two-sided":
            return np.abs(z) >= q
        return (z if alternative == "greater" else -z) >= q


def _wilson(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    z = special.ndtri(0.5 + conf_level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(sums: RunningSums, conf_level: float) -> dict[str, float]:
    n = sums.n
    k = sums.rejected
    p = k / n
    lo, hi = _wilson(k, n, conf_level)
    return {"rate": p, "mcse": math.sqrt(p * (1 - p) / n), "ci_lower": lo, "ci_upper": hi}


@dataclass(frozen=True)
class SimulatedPower(Result):
    """Power of a design estimated by simulation (see :func:`simulate_power`).

    ``mcse`` is the Monte Carlo standard error sqrt(p (1 - p) / n_reps); ``ci_lower``,
    ``ci_upper`` the Wilson interval at ``conf_level``. The ``type1_*`` fields describe the
    rejection rate under the null design (NaN when not simulated). ``replicates`` holds one row
    per replicate of the design (columns ``z`` and, where the planned test gives them,
    ``events``, ``estimate``, ``se``, ``df``) only with ``keep_replicates=True``; else None.
    """

    power: float
    mcse: float
    ci_lower: float
    ci_upper: float
    type1_error: float
    type1_mcse: float
    type1_ci_lower: float
    type1_ci_upper: float
    n_reps: int
    n_per_arm: list[int]
    n_total: int
    arm_names: list[str]
    design_type: str
    test: str
    alpha: float
    alternative: str
    effect_name: str
    effect: float | None
    mean_events: float
    mean_events_null: float
    closed_form_power: float | None
    closed_form_method: str
    seed: int
    conf_level: float
    n_failed: int = 0
    mean_estimate: float = float("nan")
    empirical_se: float = float("nan")
    mean_se: float = float("nan")
    coverage: float = float("nan")
    replicates: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    _title = "Simulated power"

    @property
    def summary(self) -> pd.DataFrame:
        """Rows ``alternative`` (power) and ``null`` (type I error).

        Columns: scenario, rejection_rate, mcse, ci_lower, ci_upper, n_reps, n_total, test,
        alpha, alternative, mean_events, closed_form.
        """
        rows = [
            {"scenario": "alternative", "rejection_rate": self.power, "mcse": self.mcse,
             "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
             "mean_events": self.mean_events, "closed_form": self.closed_form_power},
            {"scenario": "null", "rejection_rate": self.type1_error, "mcse": self.type1_mcse,
             "ci_lower": self.type1_ci_lower, "ci_upper": self.type1_ci_upper,
             "mean_events": self.mean_events_null, "closed_form": self.alpha},
        ]
        df = pd.DataFrame(rows)
        for k, v in (("n_reps", self.n_reps), ("n_total", self.n_total), ("test", self.test),
                     ("alpha", self.alpha), ("alternative", self.alternative)):
            df[k] = v
        cols = ["scenario", "rejection_rate", "mcse", "ci_lower", "ci_upper", "n_reps", "n_total",
                "test", "alpha", "alternative", "mean_events", "closed_form"]
        return df[cols]

    @property
    def z_from_closed_form(self) -> float:
        """(simulated - closed form) / mcse: how many Monte Carlo errors apart they are."""
        if self.closed_form_power is None or self.mcse == 0:
            return float("nan")
        return (self.power - self.closed_form_power) / self.mcse


    @property
    def sided(self) -> int:
        """2 for a two-sided test, else 1 (rpact's ``sided``)."""
        return _SIDES[self.alternative]


def check_n_reps(n_reps, *, keep_replicates: bool = False) -> int:
    """``n_reps`` as an int in [1, :data:`MAX_REPS`], or an error naming it.

    At most :data:`MAX_KEPT_REPLICATES` when the per-replicate values are kept.

    Examples
    --------
    >>> check_n_reps(1000)
    1000
    """
    n_reps = check_int("n_reps", n_reps, minimum=1)
    if n_reps > MAX_REPS:
        raise InvalidParameterError(
            f"`n_reps` must be at most {MAX_REPS:,}; got {n_reps:,}. Memory does not grow with "
            "the replicates (only running sums are kept), but a run this long is better split "
            "into several seeds.")
    if keep_replicates and n_reps > MAX_KEPT_REPLICATES:
        mib = n_reps * 5 * 8 / 2**20
        raise InvalidParameterError(
            f"`n_reps` must be at most {MAX_KEPT_REPLICATES:,} with keep_replicates=True (about "
            f"40 bytes per replicate would be kept: {mib:,.0f} MiB); got {n_reps:,}. Without "
            "keep_replicates only running sums are kept, up to "
            f"{MAX_REPS:,} replicates.")
    return n_reps


def _common_checks(design, test, alpha, alternative, n_reps, chunk_size, conf_level):
    design = _check_design(design)
    tests = list(design.planned_tests)
    patterns = list(getattr(design.planned_tests, "patterns", ()))
    if test is None:
        test = tests[0]
    elif not patterns or test in tests:
        test = check_choice("test", test, tests)
    else:
        try:
            design.planned_tests[test]  # a parameterised name ("fh:0:1"): its own error if bad
        except KeyError:
            raise InvalidParameterError(
                f"`test` must be one of {tests} or a name of the form {patterns}; got "
                f"{test!r}.") from None
    alpha = check_probability("alpha", alpha)
    alternative = check_alternative(alternative)
    n_reps = check_n_reps(n_reps)
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    check_probability("conf_level", conf_level)
    margin = getattr(design, "margin", None)
    if margin is not None and alternative != design.effect_direction:
        raise InvalidParameterError(
            f"`alternative` must be {design.effect_direction!r} for a design with a "
            f"non-inferiority margin ({margin:g}): the test is one-sided in the direction of "
            f"benefit; got {alternative!r}."
        )
    return test, alpha, alternative, n_reps, chunk_size


def simulate_power(
    design,
    *,
    n_reps: int = 1000,
    test: str | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    type1: bool = True,
    ties: str = "efron",
    rng=None,
    chunk_size: int = _DEFAULT_CHUNK,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
    conf_level: float = 0.95,
    keep_replicates: bool = False,
) -> SimulatedPower:
    """Power of ``design`` by simulation, with its Monte Carlo error and the type I error.

    Parameters
    ----------
    design : SurvivalDesign, BinaryDesign or ContinuousDesign (two arms)
    n_reps : int >= 1, default 1000
        Replicates (of the design and, with ``type1``, of its null).
    test : str, optional
        The planned test. SurvivalDesign: ``"logrank"`` (default) or ``"cox"`` (Wald test of the
        Cox model, ``ties`` "efron" or "breslow"), or for non-proportional hazards
        ``"fh:RHO:GAMMA"``, ``"mb:T_STAR"``, ``"maxcombo"``, ``"rmst:TAU"``,
        ``"milestone:TIME"`` (:mod:`workbench.design.nph`). BinaryDesign: ``"chi-square"``
        (default; the pooled two-proportion z test, whose square is the Pearson chi-square
        without continuity correction), ``"normal"`` (the same z test, named as rpact's normal
        approximation) or ``"wald"`` (unpooled variance); a design ``margin`` makes it the
        Farrington-Manning non-inferiority test. Missing outcomes as the design's ``missing``
        says ("both": NRI). ContinuousDesign: ``"t-test"`` (default; complete cases at the last
        visit) or ``"ancova"`` (last visit adjusted for baseline, complete cases).
    alpha : float in (0, 1), default 0.05
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis on the planned statistic's scale (experimental minus control:
        "less" for a hazard ratio below 1 or a lower rate or mean). ``design.effect_direction``
        names the one-sided alternative in the direction of the design's effect. A design with a
        non-inferiority margin needs the one-sided alternative in its direction of benefit.
    type1 : bool, default True
        Also simulate the null design (no difference; the non-inferiority boundary with a margin)
        for the type I error.
    ties : {"efron", "breslow"}, default "efron"
        Ties in the Cox model.
    rng : int seed, numpy Generator, SeedSequence or None
    chunk_size : int, default 10000
        Replicates per unit of work (rounded to whole blocks of 500); changes neither the numbers
        nor memory much, only the granularity of parallel work and of the progress bar.
    workers : int, optional
        Local worker processes (-1: all CPUs). None decides from the size of the run: from
        :data:`workbench._parallel.AUTO_PARALLEL_WORK` (20 million) patient-replicates on, every
        usable core; below it, this process. 1 always runs in this process.
    client : dask.distributed.Client, optional
        Run on a Dask cluster instead.
    progress : bool or None, default None
        Progress bar; None shows it for long runs on a terminal only.
    conf_level : float, default 0.95
        Level of the Wilson intervals.
    keep_replicates : bool, default False
        Also keep every replicate's statistic (the design's run, not the null's) in
        ``replicates``. Without it only running sums are kept, so memory does not grow with
        ``n_reps`` (at most :data:`MAX_REPS`); with it ``n_reps`` is at most
        :data:`MAX_KEPT_REPLICATES`.

    Returns
    -------
    SimulatedPower

    Notes
    -----
    The same seed gives the same numbers whatever ``chunk_size``, ``workers`` or ``client``.

    Examples
    --------
    >>> from workbench.design import SurvivalDesign
    >>> d = SurvivalDesign.from_probabilities({"combination": 0.27, "pharmacotherapy": 0.47},
    ...     at=48, n_total=148, accrual_time=24, follow_up=48, follow_up_type="calendar")
    >>> res = simulate_power(d, n_reps=2000, rng=1)
    >>> round(res.power, 3), round(res.mcse, 4), round(res.closed_form_power, 3)
    (0.803, 0.0089, 0.804)
    >>> abs(res.z_from_closed_form) < 3
    True
    """
    test, alpha, alternative, n_reps, chunk_size = _common_checks(
        design, test, alpha, alternative, n_reps, chunk_size, conf_level)
    check_choice("ties", ties, ("efron", "breslow"))
    keep_replicates = check_bool("keep_replicates", keep_replicates)
    check_n_reps(n_reps, keep_replicates=keep_replicates)
    options = {"ties": ties, "alternative": alternative}
    entropy = seed_entropy(rng)
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress,
              alpha=alpha, alternative=alternative, conf_level=conf_level)
    out = _simulate(design, test, options, n_reps, entropy, 0, keep=keep_replicates, **kw)
    alt = _rate(out, conf_level)
    if type1:
        out0 = _simulate(design.null_design(), test, options, n_reps, entropy, 1, **kw)
        nul = _rate(out0, conf_level)
        mean0 = out0.mean_events
    else:
        nul = dict.fromkeys(("rate", "mcse", "ci_lower", "ci_upper"), float("nan"))
        mean0 = float("nan")
    cf, cf_method = _closed_form(design, test, alpha, alternative)
    estimates = _estimate_summary(out)
    return SimulatedPower(
        power=alt["rate"], mcse=alt["mcse"], ci_lower=alt["ci_lower"], ci_upper=alt["ci_upper"],
        type1_error=nul["rate"], type1_mcse=nul["mcse"], type1_ci_lower=nul["ci_lower"],
        type1_ci_upper=nul["ci_upper"], n_reps=n_reps, n_per_arm=[a.n for a in design.arms],
        n_total=design.n_total, arm_names=list(design.arm_names),
        design_type=type_name(design), test=test, alpha=alpha, alternative=alternative,
        effect_name=design.effect_name, effect=design.effect,
        mean_events=out.mean_events, mean_events_null=mean0,
        closed_form_power=cf, closed_form_method=cf_method, seed=entropy, conf_level=conf_level,
        replicates=out.replicates(), **estimates,
    )


def _estimate_summary(sums: RunningSums) -> dict[str, Any]:
    """Failed replicates (NaN statistic), and the estimates' mean, spread, SE and coverage.

    The mean standard error and the coverage of the intervals at ``conf_level`` are given where the
    planned test gives them.
    """
    res: dict[str, Any] = {"n_failed": sums.failed}
    if not sums.has_estimate or not sums.est_n:
        return res
    res["mean_estimate"] = sums.est_mean
    if sums.est_n > 1:
        res["empirical_se"] = math.sqrt(sums.est_m2 / (sums.est_n - 1))
    if sums.has_se:
        res["mean_se"] = sums.se_sum / sums.est_n
        res["coverage"] = sums.covered / sums.est_n
    return res


def compare_tests(design, *, tests=None, n_reps: int = 1000, alpha: float = 0.05,
                  alternative: str = "two-sided", ties: str = "efron", rng=None,
                  chunk_size: int = _DEFAULT_CHUNK, workers: int | None = None, client: Any = None,
                  progress: bool | None = None, conf_level: float = 0.95) -> pd.DataFrame:
    """Simulated power of several planned tests of one design, on the same simulated trials.

    Every test sees the same replicates (the same seed), so the differences between the rows are
    the tests' own, not Monte Carlo noise between data sets.

    Parameters
    ----------
    design : a two-arm design (see :mod:`workbench.design.protocol`)
    tests : sequence of str, optional
        Names from ``design.planned_tests`` (default: all of them).
    n_reps, alpha, alternative, ties, rng, chunk_size, workers, client, progress, conf_level
        As :func:`simulate_power` (no type I error is simulated here). The trials are simulated
        once and every test analyses the same replicates.

    Returns
    -------
    pandas.DataFrame
        One row per test: test, power, mcse, n_reps, n_failed, effect, mean_estimate, bias,
        empirical_se, mean_se, coverage (bias and coverage where the test gives an estimate and its
        standard error).

    Examples
    --------
    >>> import workbench as wb
    >>> d = wb.load_design("t7")
    >>> df = compare_tests(d, tests=["t-test", "ancova"], n_reps=500, rng=1)
    >>> df["test"].tolist()
    ['t-test', 'ancova']
    """
    design = _check_design(design)
    names = list(design.planned_tests) if tests is None else list(tests)
    for i, name in enumerate(names):
        names[i], alpha, alternative, n_reps, chunk_size = _common_checks(
            design, name, alpha, alternative, n_reps, chunk_size, conf_level)
    check_choice("ties", ties, ("efron", "breslow"))
    outs = _simulate_tests(design, tuple(names), {"ties": ties, "alternative": alternative},
                           n_reps, seed_entropy(rng), 0, chunk_size=chunk_size, workers=workers,
                           client=client, progress=progress, alpha=alpha,
                           alternative=alternative, conf_level=conf_level)
    effect = design.effect
    rows = []
    for name in names:
        r = _rate(outs[name], conf_level)
        e = {"n_failed": 0, "mean_estimate": float("nan"), "empirical_se": float("nan"),
             "mean_se": float("nan"), "coverage": float("nan"),
             **_estimate_summary(outs[name])}
        rows.append({
            "test": name, "power": r["rate"], "mcse": r["mcse"], "n_reps": n_reps,
            "n_failed": e["n_failed"], "effect": effect, "mean_estimate": e["mean_estimate"],
            "bias": e["mean_estimate"] - effect if effect is not None else float("nan"),
            "empirical_se": e["empirical_se"], "mean_se": e["mean_se"], "coverage": e["coverage"],
        })
    return pd.DataFrame(rows)


def _closed_form(design, test: str, alpha: float, alternative: str) -> tuple[float | None, str]:
    try:
        return closed_form_power(design, test, alpha, alternative)
    except InvalidParameterError as exc:
        return None, str(exc)


# --------------------------------------------------------------------------------------------
# curves and sample-size search
# --------------------------------------------------------------------------------------------
def _as_list(name, values, cast):
    if values is None:
        return [None]
    if np.ndim(values) == 0:
        values = [values]
    out = []
    for v in values:
        try:
            out.append(cast(v))
        except (TypeError, ValueError):
            raise InvalidParameterError(f"`{name}` must hold numbers; got {v!r}.") from None
    if not out:
        raise InvalidParameterError(f"`{name}` must not be empty.")
    return out


def power_curve(
    design,
    *,
    n_total=None,
    effect=None,
    allocation_ratio: float | None = None,
    n_reps: int = 1000,
    test: str | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ties: str = "efron",
    rng=None,
    chunk_size: int = _DEFAULT_CHUNK,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Simulated power over a grid of total sample sizes and effects, as a tidy DataFrame.

    Every grid point uses the same seed, hence common random numbers: curves are smooth in N and
    in the effect.

    Parameters
    ----------
    design : a two-arm workbench design (the starting point)
    n_total : int or sequence of int, optional
        Total sample sizes (split by ``allocation_ratio``; by default the design's proportions).
    effect : float or sequence, optional
        Effects: the hazard ratio (SurvivalDesign; proportional hazards applied to the control
        arm's distribution and cured fraction), arm 1's probability ``p1`` (BinaryDesign; a
        two-stage arm becomes a single-stage arm with that probability) or the end-point
        difference (ContinuousDesign; the experimental arm's post-baseline means are shifted).
    allocation_ratio : float > 0, optional
        n_experimental / n_control.
    n_reps, test, alpha, alternative, ties, rng, chunk_size, workers, client, progress, conf_level
        As :func:`simulate_power` (no type I error is simulated here).

    Returns
    -------
    pandas.DataFrame
        One row per grid point: n_total, n1 (experimental), n2 (control), the effect column
        (``hazard_ratio``, ``p1`` or ``difference``), power, mcse, ci_lower, ci_upper,
        power_closed_form, mean_events, n_reps, test, alpha, alternative.

    Examples
    --------
    >>> from workbench.design import SurvivalDesign
    >>> d = SurvivalDesign.from_probabilities({"a": 0.27, "b": 0.47}, at=48, n_total=100,
    ...     accrual_time=24, follow_up=48, follow_up_type="calendar")
    >>> df = power_curve(d, n_total=[100, 150], effect=[0.5, 0.7], n_reps=500, rng=3)
    >>> df[["n_total", "hazard_ratio", "power"]].round(3).values.tolist()
    [[100.0, 0.5, 0.614], [100.0, 0.7, 0.252], [150.0, 0.5, 0.796], [150.0, 0.7, 0.32]]
    """
    test, alpha, alternative, n_reps, chunk_size = _common_checks(
        design, test, alpha, alternative, n_reps, chunk_size, conf_level)
    if allocation_ratio is not None:
        allocation_ratio = check_positive("allocation_ratio", allocation_ratio)
    ns = _as_list("n_total", n_total, lambda v: check_int("n_total", v, minimum=2))
    effects = _as_list("effect", effect, float)
    entropy = seed_entropy(rng)
    name = design.effect_name
    exp, ctrl = design.experimental_index, design.control_index
    rows = []
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress)
    for n in ns:
        base = design if n is None and allocation_ratio is None else design.with_total(
            n if n is not None else design.n_total, allocation_ratio)
        for e in effects:
            d = base if e is None else base.with_effect(e)
            options = {"ties": ties, "alternative": alternative}
            out = _simulate(d, test, options, n_reps, entropy, 0, alpha=alpha,
                            alternative=alternative, conf_level=conf_level, **kw)
            r = _rate(out, conf_level)
            cf, _ = _closed_form(d, test, alpha, alternative)
            rows.append({
                "n_total": d.n_total, "n1": d.arms[exp].n, "n2": d.arms[ctrl].n,
                name: e if e is not None else d.effect, "power": r["rate"], "mcse": r["mcse"],
                "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                "power_closed_form": np.nan if cf is None else cf,
                "mean_events": out.mean_events, "n_reps": n_reps, "test": test,
                "alpha": alpha, "alternative": alternative,
            })
    df = pd.DataFrame(rows)
    df[name] = df[name].astype(float)
    return df


@dataclass(frozen=True)
class SampleSizeSearch(Result):
    """The smallest total sample size whose simulated power reaches the target."""

    n_total: int
    n_per_arm: list[int]
    arm_names: list[str]
    power: float
    mcse: float
    target_power: float
    n_reps: int
    test: str
    alpha: float
    alternative: str
    evaluations: pd.DataFrame
    closed_form_n_total: int | None
    seed: int

    _title = "Simulated sample size"

    @property
    def summary(self) -> pd.DataFrame:
        """Every total sample size evaluated (columns n_total, n1, n2, power, mcse), sorted."""
        return self.evaluations


def simulated_sample_size(
    design,
    *,
    power: float = 0.8,
    allocation_ratio: float | None = None,
    n_reps: int = 2000,
    test: str | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ties: str = "efron",
    n_min: int | None = None,
    n_max: int = 20_000,
    rng=None,
    chunk_size: int = _DEFAULT_CHUNK,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> SampleSizeSearch:
    """Search the total sample size at which the simulated power reaches ``power``.

    Every candidate N is simulated with the same seed (common random numbers), so the estimated
    power is a smooth, almost monotone function of N. The search starts from the closed-form size
    when there is one, brackets the target by doubling or halving, then bisects on whole numbers.

    Parameters
    ----------
    design : a two-arm workbench design
    power : float in (0, 1), default 0.8
        Target power.
    allocation_ratio : float > 0, optional
        n_experimental / n_control (default: the design's proportions).
    n_reps : int, default 2000
    test, alpha, alternative, ties, rng, chunk_size, workers, client, progress
        As :func:`simulate_power`.
    n_min : int, optional
        Smallest N considered (default: 2 patients per arm unit).
    n_max : int, default 20000
        Largest N considered. If the power at ``n_max`` is still below the target, an
        :class:`~workbench.exceptions.InvalidParameterError` says so (no endless search).

    Returns
    -------
    SampleSizeSearch

    Examples
    --------
    >>> from workbench.design import SurvivalDesign
    >>> d = SurvivalDesign.from_probabilities({"a": 0.27, "b": 0.47}, at=48, n_total=100,
    ...     accrual_time=24, follow_up=48, follow_up_type="calendar")
    >>> res = simulated_sample_size(d, power=0.8, n_reps=1000, rng=7)
    >>> res.n_total, res.closed_form_n_total
    (139, 148)
    """
    test, alpha, alternative, n_reps, chunk_size = _common_checks(
        design, test, alpha, alternative, n_reps, chunk_size, 0.95)
    target = check_probability("power", power)
    if allocation_ratio is not None:
        allocation_ratio = check_positive("allocation_ratio", allocation_ratio)
    n_max = check_int("n_max", n_max, minimum=4)
    n_min = check_int("n_min", n_min, minimum=2, allow_none=True) or 4
    if n_min >= n_max:
        raise InvalidParameterError(f"`n_min` ({n_min}) must be below `n_max` ({n_max}).")
    entropy = seed_entropy(rng)
    exp, ctrl = design.experimental_index, design.control_index
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress)
    cache: dict[int, dict] = {}

    def evaluate(n: int) -> float:
        if n not in cache:
            d = design.with_total(n, allocation_ratio)
            options = {"ties": ties, "alternative": alternative}
            out = _simulate(d, test, options, n_reps, entropy, 0, alpha=alpha,
                            alternative=alternative, **kw)
            r = _rate(out, 0.95)
            cache[n] = {"n_total": n, "n1": d.arms[exp].n, "n2": d.arms[ctrl].n,
                        "power": r["rate"], "mcse": r["mcse"]}
        return cache[n]["power"]

    # closed-form starting point
    start, cf_n = None, None
    cf_design = design.with_total(max(design.n_total, 4), allocation_ratio)
    try:
        cf = closed_form_n_total(cf_design, test, alpha, alternative, target)
    except (InvalidParameterError, ZeroDivisionError, ValueError):
        cf = None
    if cf is not None:
        cf_n = cf
        start = min(max(cf, n_min), n_max)
    if start is None:
        start = min(max(design.n_total, n_min), n_max)

    lo, hi = None, None
    n = start
    if evaluate(n) >= target:
        hi = n
        while hi > n_min:
            m = max(n_min, hi // 2)
            if evaluate(m) >= target:
                hi = m
            else:
                lo = m
                break
        if lo is None:
            lo = n_min - 1
    else:
        lo = n
        while True:
            if lo >= n_max:
                raise InvalidParameterError(
                    f"`power` {target:g} cannot be reached with at most n_max = {n_max} patients "
                    f"(simulated power there {cache[n_max]['power']:.3f}); raise `n_max` or "
                    "revisit "
                    "the design."
                )
            m = min(n_max, lo * 2)
            if evaluate(m) >= target:
                hi = m
                break
            lo = m
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if evaluate(mid) >= target:
            hi = mid
        else:
            lo = mid
    evaluate(hi)
    best = cache[hi]
    d = design.with_total(hi, allocation_ratio)
    table = pd.DataFrame(sorted(cache.values(), key=lambda r: r["n_total"]))
    return SampleSizeSearch(
        n_total=hi, n_per_arm=[a.n for a in d.arms], arm_names=list(d.arm_names),
        power=best["power"], mcse=best["mcse"], target_power=target, n_reps=n_reps, test=test,
        alpha=alpha, alternative=alternative, evaluations=table, closed_form_n_total=cf_n,
        seed=entropy,
    )
