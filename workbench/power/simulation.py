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
the vectorised tests of :mod:`workbench.analysis.replicates`. Blocks are small enough to stay in
the processor's cache, and memory does not grow with the number of replicates (only one number
per replicate is kept).

Every block allocates and frees arrays of the same sizes, and glibc's allocator hands the freed
memory back to the system after each block, so the pages are touched afresh by the next one: on
Linux that costs about as much as the arithmetic. Setting the environment variable
``WORKBENCH_MALLOC_TUNING=1`` (before the first simulation; worker processes inherit it) lets the
engine ask glibc to keep up to 64 MiB of freed memory at the top of the heap
(``mallopt(M_TOP_PAD)``), which roughly halves the run time of the benchmark scenario. It is off by
default because it changes an allocator setting for the whole process, for as long as it runs.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from .._parallel import chunk_seeds, map_chunks
from .._validation import _check_choice, _check_int, _check_positive, _check_probability
from ..exceptions import InvalidParameterError
from ..results import Result

__all__ = [
    "BLOCK",
    "SimulatedPower",
    "SampleSizeSearch",
    "simulate_power",
    "power_curve",
    "simulated_sample_size",
    "TESTS",
]

#: replicates per random stream (fixed: the numbers depend on it)
BLOCK = 500
_DEFAULT_CHUNK = 10_000

#: planned tests per design type (the first is the default)
TESTS: dict[str, tuple[str, ...]] = {
    "SurvivalDesign": ("logrank", "cox"),
    "BinaryDesign": ("chi-square", "normal", "wald"),
    "ContinuousDesign": ("t-test", "ancova"),
}


# --------------------------------------------------------------------------------------------
# design adapters: simulate + analyse one block, the null design, effects, sizes
# --------------------------------------------------------------------------------------------
def _kind(design) -> str:
    name = type(design).__name__
    if name not in TESTS:
        raise InvalidParameterError(
            f"`design` must be one of {', '.join(TESTS)}; got {name}."
        )
    n_arms = len(design.arms)
    if n_arms != 2:
        raise InvalidParameterError(
            f"simulation power compares two arms; `design` has {n_arms} ({design.arm_names}). "
            "Make a two-arm design of the comparison of interest."
        )
    return name


def _exp_ctrl(design) -> tuple[int, int]:
    """Indices (experimental, control) of the two arms, by each design's convention."""
    kind = type(design).__name__
    if kind == "SurvivalDesign":
        return 0, 1
    if kind == "BinaryDesign":
        ref = design.arm_names.index(design.reference_arm)
        return 1 - ref, ref
    return 1, 0  # ContinuousDesign: control first


def _block_stats(design, test: str, options: dict, seed, size: int) -> dict[str, np.ndarray]:
    """Simulate ``size`` replicates from ``seed`` and return the test statistic per replicate."""
    kind = type(design).__name__
    exp, _ = _exp_ctrl(design)
    if kind == "SurvivalDesign":
        from ..analysis.replicates import cox_arrays, logrank_arrays
        from ..simulate.survival import simulate_survival_arrays

        sims = simulate_survival_arrays(design, size, rng=seed)
        group = sims.arm == exp
        if test == "logrank":
            res = logrank_arrays(sims.time, sims.event, group)
            return {"z": res.z, "events": res.events.astype(float)}
        res = cox_arrays(sims.time, sims.event, group, ties=options.get("ties", "efron"))
        return {"z": res.z, "events": sims.event.sum(axis=1).astype(float), "estimate": res.beta}
    if kind == "BinaryDesign":
        from ..analysis.replicates import rates_arrays
        from ..simulate.binary import simulate_binary_arrays

        sims = simulate_binary_arrays(design, size, rng=seed)
        missing = "nri" if design.missing == "both" else design.missing
        x, n = sims.counts(missing)
        _, ctrl = _exp_ctrl(design)
        margin = design.margin or 0.0
        res = rates_arrays(x[:, exp], n[:, exp], x[:, ctrl], n[:, ctrl], margin=margin,
                           pooled=test != "wald")
        return {"z": res.z, "events": x.sum(axis=1).astype(float), "estimate": res.difference}
    # ContinuousDesign
    from ..simulate.continuous import simulate_continuous_arrays

    sims = simulate_continuous_arrays(design, size, rng=seed)
    y = sims.y[..., -1]
    keep = sims.observed[..., -1]
    x = (sims.arm == exp).astype(float)
    if test == "t-test":
        t, df, est = _ttest_arrays(y, keep, x)
    else:
        t, df, est = _ancova_arrays(y, keep, x, sims.y[..., 0])
    return {"z": t, "df": df, "events": keep.sum(axis=1).astype(float), "estimate": est}


def _ttest_arrays(y, keep, x):
    """Student's two-sample t (pooled variance) per row, complete cases."""
    w1 = keep * x
    w0 = keep * (1 - x)
    n1, n0 = w1.sum(1), w0.sum(1)
    m1 = (w1 * y).sum(1) / np.maximum(n1, 1)
    m0 = (w0 * y).sum(1) / np.maximum(n0, 1)
    ss = (w1 * (y - m1[:, None]) ** 2).sum(1) + (w0 * (y - m0[:, None]) ** 2).sum(1)
    df = n1 + n0 - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ss / df * (1 / n1 + 1 / n0))
        t = np.where((se > 0) & (df > 0), (m1 - m0) / se, 0.0)
    return t, np.maximum(df, 1), m1 - m0


def _ancova_arrays(y, keep, x, baseline):
    """ANCOVA y ~ 1 + arm + baseline per row (complete cases), the arm coefficient's t."""
    w = keep.astype(float)
    X = np.stack([np.ones_like(y), x * np.ones_like(y), baseline], axis=-1)  # (R, n, 3)
    Xw = X * w[..., None]
    xtx = np.einsum("rni,rnj->rij", Xw, X)
    xty = np.einsum("rni,rn->ri", Xw, y)
    n = w.sum(1)
    df = n - 3
    ok = (df > 0) & (np.abs(np.linalg.det(xtx)) > 1e-9)
    xtx = np.where(ok[:, None, None], xtx, np.eye(3))
    inv = np.linalg.inv(xtx)
    beta = np.einsum("rij,rj->ri", inv, xty)
    resid = (y - np.einsum("rni,ri->rn", X, beta)) * w
    s2 = (resid**2).sum(1) / np.maximum(df, 1)
    se = np.sqrt(s2 * inv[:, 1, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(ok & (se > 0), beta[:, 1] / se, 0.0)
    return t, np.maximum(df, 1), beta[:, 1]


def _scale_distribution(dist, hr: float):
    """The event-time distribution with its hazard multiplied by ``hr`` (proportional hazards)."""
    from ..design.survival import Exponential, PiecewiseExponential, Weibull

    if isinstance(dist, Exponential):
        return Exponential(dist.hazard * hr)
    if isinstance(dist, Weibull):
        return Weibull(dist.shape, dist.scale * hr ** (-1.0 / dist.shape))
    if isinstance(dist, PiecewiseExponential):
        return PiecewiseExponential(dist.starts, tuple(h * hr for h in dist.hazards))
    raise InvalidParameterError(  # pragma: no cover
        f"cannot scale a {type(dist).__name__} distribution.")


def _effect_name(design) -> str:
    return {"SurvivalDesign": "hazard_ratio", "BinaryDesign": "p1",
            "ContinuousDesign": "difference"}[type(design).__name__]


def _effect(design) -> float | None:
    """The design's effect: the hazard ratio (exponential arms), p of arm 1, or the difference."""
    kind = type(design).__name__
    exp, ctrl = _exp_ctrl(design)
    if kind == "SurvivalDesign":
        a, b = design.arms[exp], design.arms[ctrl]
        if _proportional(a, b):
            return _hazard_ratio_of(a, b)
        return None
    if kind == "BinaryDesign":
        return float(design.arms[exp].p)
    return float(design.endpoint_difference)


def _proportional(a, b) -> bool:
    from ..design.survival import Exponential, PiecewiseExponential, Weibull

    da, db = a.event_time, b.event_time
    if a.cure_fraction != b.cure_fraction or type(da) is not type(db):
        return False
    if isinstance(da, Exponential):
        return True
    if isinstance(da, Weibull):
        return da.shape == db.shape
    if isinstance(da, PiecewiseExponential):
        if da.starts != db.starts:
            return False
        ratios = {round(x / y, 12) for x, y in zip(da.hazards, db.hazards) if y > 0}
        return len(ratios) == 1
    return False  # pragma: no cover


def _hazard_ratio_of(a, b) -> float:
    from ..design.survival import Exponential, PiecewiseExponential, Weibull

    da, db = a.event_time, b.event_time
    if isinstance(da, Exponential):
        return da.hazard / db.hazard
    if isinstance(da, Weibull):
        return (db.scale / da.scale) ** da.shape
    assert isinstance(da, PiecewiseExponential)
    return next(x / y for x, y in zip(da.hazards, db.hazards) if y > 0)


def _with_effect(design, value: float):
    """The design with the experimental arm's effect set to ``value`` (see :func:`_effect_name`)."""
    kind = type(design).__name__
    exp, ctrl = _exp_ctrl(design)
    arms = list(design.arms)
    if kind == "SurvivalDesign":
        hr = _check_positive("hazard_ratio", value)
        c = arms[ctrl]
        arms[exp] = dataclasses.replace(arms[exp], event_time=_scale_distribution(c.event_time, hr),
                                        cure_fraction=c.cure_fraction)
    elif kind == "BinaryDesign":
        from ..design.binary import BinaryArm

        p = _check_probability("p1", value, closed=True)
        a = arms[exp]
        arms[exp] = BinaryArm(a.name, a.n, p, dropout=a.dropout)
    else:
        a, c = arms[exp], arms[ctrl]
        shift = float(value) - (a.means[-1] - c.means[-1])
        means = tuple(m + shift * (j > 0) for j, m in enumerate(a.means))
        arms[exp] = dataclasses.replace(a, means=means)
    return dataclasses.replace(design, arms=tuple(arms))


def _null_design(design):
    """The design under H0: no difference (or the non-inferiority boundary for a margin)."""
    kind = type(design).__name__
    exp, ctrl = _exp_ctrl(design)
    if kind == "SurvivalDesign":
        arms = list(design.arms)
        c = arms[ctrl]
        arms[exp] = dataclasses.replace(arms[exp], event_time=c.event_time,
                                        cure_fraction=c.cure_fraction)
        return dataclasses.replace(design, arms=tuple(arms))
    if kind == "BinaryDesign":
        # H0 holds for the rates the test compares: with non-responder imputation those are
        # rate_nri = p (1 - dropout) (+ dropout for a bad outcome), not the latent p
        margin = design.margin or 0.0
        p = design.arms[ctrl].p + margin
        if design.missing in ("nri", "both"):
            er = design.expected_rates().set_index("arm")
            d_exp = float(er.loc[design.arm_names[exp], "dropout"])
            bad = 0.0 if design.higher_is_better else d_exp
            target = float(er.loc[design.arm_names[ctrl], "rate_nri"]) + margin
            p = (target - bad) / (1 - d_exp)
            if abs(p) < 1e-12 or abs(p - 1) < 1e-12:
                p = round(p)
        if not 0 <= p <= 1:
            raise InvalidParameterError(
                f"the null hypothesis (`margin` {margin:g}) puts arm 1's rate at {p:g}, "
                "outside [0, 1]."
            )
        return _with_effect(design, p)
    return _with_effect(design, 0.0)


def _with_total(design, n_total: int, allocation_ratio: float | None):
    """The design with ``n_total`` patients; ``allocation_ratio`` = n_experimental / n_control."""
    from ..design.survival import split_total

    exp, ctrl = _exp_ctrl(design)
    weights = [0.0, 0.0]
    if allocation_ratio is None:
        weights = [float(a.n) for a in design.arms]
    else:
        weights[exp], weights[ctrl] = float(allocation_ratio), 1.0
    sizes = split_total(int(n_total), weights)
    arms = tuple(dataclasses.replace(a, n=n) for a, n in zip(design.arms, sizes))
    return dataclasses.replace(design, arms=arms)


def _direction(design) -> int:
    """Sign of the test statistic expected under the design (one-sided tests reject that way)."""
    kind = type(design).__name__
    exp, ctrl = _exp_ctrl(design)
    if kind == "SurvivalDesign":
        t = design.max_follow_up
        diff = float(design.arms[exp].cdf(t) - design.arms[ctrl].cdf(t))
        return -1 if diff < 0 else 1
    if kind == "BinaryDesign":
        if design.margin is not None:
            return 1 if design.higher_is_better else -1
        return -1 if design.arms[exp].p < design.arms[ctrl].p else 1
    return -1 if design.endpoint_difference < 0 else 1


def _closed_form(design, test: str, alpha: float, sided: int) -> tuple[float | None, str]:
    """The matching closed-form power, or (None, reason) when there is none."""
    from .analytic import power_rates, power_survival, power_ttest

    kind = type(design).__name__
    exp, ctrl = _exp_ctrl(design)
    n_exp, n_ctrl = design.arms[exp].n, design.arms[ctrl].n
    try:
        if kind == "SurvivalDesign":
            from ..design.survival import Exponential

            a, c = design.arms[exp], design.arms[ctrl]
            if not (isinstance(a.event_time, Exponential) and isinstance(c.event_time, Exponential)
                    and a.cure_fraction == 0 and c.cure_fraction == 0):
                return None, "closed form needs exponential arms without cure"
            if a.event_time.hazard == c.event_time.hazard:
                return alpha, "no effect: the rejection rate is alpha"
            res = power_survival(
                a.event_time.hazard / c.event_time.hazard, lambda2=c.event_time.hazard,
                n1=n_exp, n2=n_ctrl, alpha=alpha, sided=sided, accrual_time=design.accrual_time,
                follow_up=design.follow_up, follow_up_type=design.follow_up_type,
                dropout_rate=design.dropout_rate,
            )
            return res.power, "Schoenfeld (1983), events expected under accrual and drop-out"
        if kind == "BinaryDesign":
            er = design.expected_rates().set_index("arm")
            missing = "nri" if design.missing == "both" else design.missing
            a, c = design.arm_names[exp], design.arm_names[ctrl]
            if missing == "nri":
                p1, p2 = er.loc[a, "rate_nri"], er.loc[c, "rate_nri"]
                n1, n2 = n_exp, n_ctrl
            else:
                p1, p2 = er.loc[a, "p"], er.loc[c, "p"]
                n1, n2 = n_exp * (1 - er.loc[a, "dropout"]), n_ctrl * (1 - er.loc[c, "dropout"])
            margin = design.margin or 0.0
            if margin == 0 and p1 == p2:
                return alpha, "no effect: the rejection rate is alpha"
            if not (0 < p1 < 1 and 0 < p2 < 1):
                return None, "closed form needs rates strictly between 0 and 1"
            res = power_rates(float(p1), float(p2), n1=n1, n2=n2, alpha=alpha, sided=sided,
                              margin=margin)
            return res.power, res.reference
        # continuous: t-test at the end point among expected completers
        d = design.endpoint_effect_size
        comp = design.completion_probability
        if d == 0:
            return alpha, "no effect: the rejection rate is alpha"
        if test != "t-test":
            return None, "closed-form ANCOVA power is in workbench.power.continuous"
        res = power_ttest(d, n1=n_exp * comp, n2=n_ctrl * comp, alpha=alpha, sided=sided)
        return res.power, "two-sample t-test (statsmodels), expected completers"
    except InvalidParameterError as exc:
        return None, str(exc)


# --------------------------------------------------------------------------------------------
# running the replicates
# --------------------------------------------------------------------------------------------
_MALLOC_TUNED = False


def _tune_malloc() -> None:
    """Keep freed memory for the next block (glibc ``M_TOP_PAD``), only when asked for with the
    environment variable ``WORKBENCH_MALLOC_TUNING=1``; see the module notes."""
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


def _run_task(task) -> dict[str, np.ndarray]:
    """Worker: simulate and analyse the blocks of one chunk (module level, picklable)."""
    _tune_malloc()
    design, test, options, blocks = task
    parts = [_block_stats(design, test, options, seed, size) for seed, size in blocks]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _entropy(rng) -> int:
    """A reproducible root entropy from ``rng`` (int seed, Generator, SeedSequence or None)."""
    if isinstance(rng, bool):
        raise InvalidParameterError(f"`rng` must be a Generator, an int seed or None; got {rng!r}.")
    if rng is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(2, np.uint64)[0])
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63))
    if isinstance(rng, int | np.integer) and rng >= 0:
        return int(rng)
    raise InvalidParameterError(
        f"`rng` must be a numpy Generator, a non-negative int seed or None; got {rng!r}."
    )


def _simulate(design, test, options, n_reps, entropy, scenario, *, chunk_size, workers, client,
              progress) -> dict[str, np.ndarray]:
    root = np.random.SeedSequence(entropy, spawn_key=(scenario,))
    blocks = chunk_seeds(root, n_reps, chunk_size=BLOCK)
    per = max(1, chunk_size // BLOCK)
    tasks = [(design, test, options, blocks[i:i + per]) for i in range(0, len(blocks), per)]
    if progress is None:
        long_run = n_reps * design.n_total >= 20_000_000 or len(tasks) > 20
        progress = None if long_run else False
    parts = map_chunks(_run_task, tasks, workers=workers, client=client, progress=progress)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _reject(out: dict[str, np.ndarray], alpha: float, sided: int, direction: int) -> np.ndarray:
    z = out["z"]
    if "df" in out:
        q = special.stdtrit(out["df"], 1 - alpha / sided)
    else:
        q = stats.norm.ppf(1 - alpha / sided)
    if sided == 2:
        return np.abs(z) >= q
    return direction * z >= q


def _wilson(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + conf_level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(rej: np.ndarray, conf_level: float) -> dict[str, float]:
    n = rej.size
    k = int(rej.sum())
    p = k / n
    lo, hi = _wilson(k, n, conf_level)
    return {"rate": p, "mcse": math.sqrt(p * (1 - p) / n), "ci_lower": lo, "ci_upper": hi}


@dataclass(frozen=True)
class SimulatedPower(Result):
    """Power of a design estimated by simulation (see :func:`simulate_power`).

    ``mcse`` is the Monte Carlo standard error sqrt(p (1 - p) / n_reps); ``ci_lower``,
    ``ci_upper`` the Wilson interval at ``conf_level``. The ``type1_*`` fields describe the
    rejection rate under the null design (NaN when not simulated).
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
    sided: int
    direction: int
    effect_name: str
    effect: float | None
    mean_events: float
    mean_events_null: float
    closed_form_power: float | None
    closed_form_method: str
    seed: int
    conf_level: float

    _title = "Simulated power"

    @property
    def summary(self) -> pd.DataFrame:
        """Rows ``alternative`` (power) and ``null`` (type I error).

        Columns: scenario, rejection_rate, mcse, ci_lower, ci_upper, n_reps, n_total, test,
        alpha, sided, mean_events, closed_form.
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
                     ("alpha", self.alpha), ("sided", self.sided)):
            df[k] = v
        cols = ["scenario", "rejection_rate", "mcse", "ci_lower", "ci_upper", "n_reps", "n_total",
                "test", "alpha", "sided", "mean_events", "closed_form"]
        return df[cols]

    @property
    def z_from_closed_form(self) -> float:
        """(simulated - closed form) / mcse: how many Monte Carlo errors apart they are."""
        if self.closed_form_power is None or self.mcse == 0:
            return float("nan")
        return (self.power - self.closed_form_power) / self.mcse


def _check_test(kind: str, test: str | None) -> str:
    if test is None:
        return TESTS[kind][0]
    return _check_choice("test", test, TESTS[kind])


def _common_checks(design, test, alpha, sided, n_reps, chunk_size, conf_level):
    kind = _kind(design)
    test = _check_test(kind, test)
    alpha = _check_probability("alpha", alpha)
    if sided not in (1, 2) or isinstance(sided, bool):
        raise InvalidParameterError(f"`sided` must be 1 or 2; got {sided!r}.")
    n_reps = _check_int("n_reps", n_reps, minimum=1)
    chunk_size = _check_int("chunk_size", chunk_size, minimum=1)
    _check_probability("conf_level", conf_level)
    if kind == "BinaryDesign" and design.margin is not None and sided != 1:
        raise InvalidParameterError(
            "`sided`: a design with a non-inferiority margin needs a one-sided test (sided=1)."
        )
    return kind, test, alpha, n_reps, chunk_size


def simulate_power(
    design,
    *,
    n_reps: int = 1000,
    test: str | None = None,
    alpha: float = 0.05,
    sided: int = 2,
    type1: bool = True,
    ties: str = "efron",
    rng=None,
    chunk_size: int = _DEFAULT_CHUNK,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = None,
    conf_level: float = 0.95,
) -> SimulatedPower:
    """Power of ``design`` by simulation, with its Monte Carlo error and the type I error.

    Parameters
    ----------
    design : SurvivalDesign, BinaryDesign or ContinuousDesign (two arms)
    n_reps : int >= 1, default 1000
        Replicates (of the design and, with ``type1``, of its null).
    test : str, optional
        The planned test. SurvivalDesign: ``"logrank"`` (default) or ``"cox"`` (Wald test of the
        Cox model, ``ties`` "efron" or "breslow"). BinaryDesign: ``"chi-square"`` (default; the
        pooled two-proportion z test, whose square is the Pearson chi-square without continuity
        correction), ``"normal"`` (the same z test, named as rpact's normal approximation) or
        ``"wald"`` (unpooled variance); a design ``margin`` makes it the Farrington-Manning
        non-inferiority test. Missing outcomes as the design's ``missing`` says ("both": NRI).
        ContinuousDesign: ``"t-test"`` (default; complete cases at the last visit) or
        ``"ancova"`` (last visit adjusted for baseline, complete cases).
    alpha : float in (0, 1), default 0.05
    sided : {1, 2}, default 2
        One-sided tests reject in the direction of the design's effect.
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
        Local worker processes (-1: all CPUs); None runs in this process.
    client : dask.distributed.Client, optional
        Run on a Dask cluster instead.
    progress : bool or None, default None
        Progress bar; None shows it for long runs on a terminal only.
    conf_level : float, default 0.95
        Level of the Wilson intervals.

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
    kind, test, alpha, n_reps, chunk_size = _common_checks(design, test, alpha, sided, n_reps,
                                                           chunk_size, conf_level)
    _check_choice("ties", ties, ("efron", "breslow"))
    options = {"ties": ties}
    entropy = _entropy(rng)
    direction = _direction(design)
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress)
    out = _simulate(design, test, options, n_reps, entropy, 0, **kw)
    alt = _rate(_reject(out, alpha, sided, direction), conf_level)
    if type1:
        null = _null_design(design)
        out0 = _simulate(null, test, options, n_reps, entropy, 1, **kw)
        nul = _rate(_reject(out0, alpha, sided, direction), conf_level)
        mean0 = float(out0["events"].mean())
    else:
        nul = dict.fromkeys(("rate", "mcse", "ci_lower", "ci_upper"), float("nan"))
        mean0 = float("nan")
    cf, cf_method = _closed_form(design, test, alpha, sided)
    return SimulatedPower(
        power=alt["rate"], mcse=alt["mcse"], ci_lower=alt["ci_lower"], ci_upper=alt["ci_upper"],
        type1_error=nul["rate"], type1_mcse=nul["mcse"], type1_ci_lower=nul["ci_lower"],
        type1_ci_upper=nul["ci_upper"], n_reps=n_reps, n_per_arm=[a.n for a in design.arms],
        n_total=design.n_total, arm_names=list(design.arm_names), design_type=kind, test=test,
        alpha=alpha, sided=sided, direction=direction, effect_name=_effect_name(design),
        effect=_effect(design), mean_events=float(out["events"].mean()), mean_events_null=mean0,
        closed_form_power=cf, closed_form_method=cf_method, seed=entropy, conf_level=conf_level,
    )


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
    sided: int = 2,
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
    n_reps, test, alpha, sided, ties, rng, chunk_size, workers, client, progress, conf_level
        As :func:`simulate_power` (no type I error is simulated here).

    Returns
    -------
    pandas.DataFrame
        One row per grid point: n_total, n1 (experimental), n2 (control), the effect column
        (``hazard_ratio``, ``p1`` or ``difference``), power, mcse, ci_lower, ci_upper,
        power_closed_form, mean_events, n_reps, test, alpha, sided.

    Examples
    --------
    >>> from workbench.design import SurvivalDesign
    >>> d = SurvivalDesign.from_probabilities({"a": 0.27, "b": 0.47}, at=48, n_total=100,
    ...     accrual_time=24, follow_up=48, follow_up_type="calendar")
    >>> df = power_curve(d, n_total=[100, 150], effect=[0.5, 0.7], n_reps=500, rng=3)
    >>> df[["n_total", "hazard_ratio", "power"]].round(3).values.tolist()
    [[100.0, 0.5, 0.614], [100.0, 0.7, 0.252], [150.0, 0.5, 0.796], [150.0, 0.7, 0.32]]
    """
    kind, test, alpha, n_reps, chunk_size = _common_checks(design, test, alpha, sided, n_reps,
                                                           chunk_size, conf_level)
    if allocation_ratio is not None:
        allocation_ratio = _check_positive("allocation_ratio", allocation_ratio)
    ns = _as_list("n_total", n_total, lambda v: _check_int("n_total", v, minimum=2))
    effects = _as_list("effect", effect, float)
    entropy = _entropy(rng)
    name = _effect_name(design)
    exp, ctrl = _exp_ctrl(design)
    rows = []
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress)
    for n in ns:
        base = design if n is None and allocation_ratio is None else _with_total(
            design, n if n is not None else design.n_total, allocation_ratio)
        for e in effects:
            d = base if e is None else _with_effect(base, e)
            out = _simulate(d, test, {"ties": ties}, n_reps, entropy, 0, **kw)
            direction = _direction(d)
            r = _rate(_reject(out, alpha, sided, direction), conf_level)
            cf, _ = _closed_form(d, test, alpha, sided)
            rows.append({
                "n_total": d.n_total, "n1": d.arms[exp].n, "n2": d.arms[ctrl].n,
                name: e if e is not None else _effect(d), "power": r["rate"], "mcse": r["mcse"],
                "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                "power_closed_form": np.nan if cf is None else cf,
                "mean_events": float(out["events"].mean()), "n_reps": n_reps, "test": test,
                "alpha": alpha, "sided": sided,
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
    sided: int
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
    sided: int = 2,
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
    test, alpha, sided, ties, rng, chunk_size, workers, client, progress
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
    kind, test, alpha, n_reps, chunk_size = _common_checks(design, test, alpha, sided, n_reps,
                                                           chunk_size, 0.95)
    target = _check_probability("power", power)
    if allocation_ratio is not None:
        allocation_ratio = _check_positive("allocation_ratio", allocation_ratio)
    n_max = _check_int("n_max", n_max, minimum=4)
    n_min = _check_int("n_min", n_min, minimum=2, allow_none=True) or 4
    if n_min >= n_max:
        raise InvalidParameterError(f"`n_min` ({n_min}) must be below `n_max` ({n_max}).")
    entropy = _entropy(rng)
    exp, ctrl = _exp_ctrl(design)
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress)
    cache: dict[int, dict] = {}

    def evaluate(n: int) -> float:
        if n not in cache:
            d = _with_total(design, n, allocation_ratio)
            out = _simulate(d, test, {"ties": ties}, n_reps, entropy, 0, **kw)
            r = _rate(_reject(out, alpha, sided, _direction(d)), 0.95)
            cache[n] = {"n_total": n, "n1": d.arms[exp].n, "n2": d.arms[ctrl].n,
                        "power": r["rate"], "mcse": r["mcse"]}
        return cache[n]["power"]

    # closed-form starting point
    start, cf_n = None, None
    cf_design = _with_total(design, max(design.n_total, 4), allocation_ratio)
    cf = _closed_form_n(cf_design, test, alpha, sided, target)
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
    d = _with_total(design, hi, allocation_ratio)
    table = pd.DataFrame(sorted(cache.values(), key=lambda r: r["n_total"]))
    return SampleSizeSearch(
        n_total=hi, n_per_arm=[a.n for a in d.arms], arm_names=list(d.arm_names),
        power=best["power"], mcse=best["mcse"], target_power=target, n_reps=n_reps, test=test,
        alpha=alpha, sided=sided, evaluations=table, closed_form_n_total=cf_n, seed=entropy,
    )


def _closed_form_n(design, test, alpha, sided, target) -> int | None:
    """Closed-form total N for the design's effect, used to start the search."""
    from .analytic import power_rates, power_survival

    kind = type(design).__name__
    exp, ctrl = _exp_ctrl(design)
    r = design.arms[exp].n / design.arms[ctrl].n
    try:
        if kind == "SurvivalDesign":
            from ..design.survival import Exponential

            a, c = design.arms[exp], design.arms[ctrl]
            if not (isinstance(a.event_time, Exponential) and isinstance(c.event_time, Exponential)
                    and a.cure_fraction == 0 and c.cure_fraction == 0):
                return None
            res = power_survival(
                a.event_time.hazard / c.event_time.hazard, lambda2=c.event_time.hazard,
                power=target, alpha=alpha, sided=sided, allocation_ratio=r,
                accrual_time=design.accrual_time, follow_up=design.follow_up,
                follow_up_type=design.follow_up_type, dropout_rate=design.dropout_rate,
            )
            return res.n_total
        if kind == "BinaryDesign":
            er = design.expected_rates().set_index("arm")
            a, c = design.arm_names[exp], design.arm_names[ctrl]
            res = power_rates(float(er.loc[a, "rate_nri"]), float(er.loc[c, "rate_nri"]),
                              power=target, alpha=alpha, sided=sided, allocation_ratio=r,
                              margin=design.margin or 0.0)
            return res.n_total
        return None
    except (InvalidParameterError, ZeroDivisionError, ValueError):
        return None
