"""Power for continuous (HAM-D) outcomes: closed forms and simulation with drop-out.

* :func:`power_ttest` - the two-sample t-test (statsmodels ``TTestIndPower``; the function of
  :mod:`workbench.power.analytic`, re-exported here).
* :func:`power_ancova` - ANCOVA on a baseline covariate with correlation ``rho`` to the end point:
  the residual variance shrinks by ``1 - rho^2`` and one degree of freedom goes to the slope
  (noncentral t with ``n1 + n2 - 3`` df).
* :func:`simulate_power_continuous` - Monte Carlo power of the MMRM, of the completers' ANCOVA and
  t-test and of ANCOVA after LOCF, for a :class:`~workbench.design.ContinuousDesign` with drop-out,
  with Monte Carlo standard errors. Simulation and analysis are vectorised over replicates (the
  MMRM of all replicates of a chunk is fitted at once).

Conventions as :mod:`workbench.power.analytic` (those of rpact): arm 1 is the experimental arm,
arm 2 the control, ``allocation_ratio = n1 / n2``, ``alternative`` the alternative hypothesis
about experimental minus control (``"two-sided"``, ``"less"``, ``"greater"``) with ``alpha`` the
total type I error, two-sided power counting both tails.

Examples
--------
>>> res = power_ancova(difference=-4, sd=6, rho=0.5, power=0.8)
>>> res.n_per_arm
[28, 28]
>>> power_ttest(difference=-4, sd=6, power=0.8).n_per_arm
[37, 37]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import _check_int, _check_positive, _check_probability, _check_real
from ..exceptions import InvalidParameterError
from ..results import Result
from ._twoarm import (
    SidedFromAlternative,
    check_alpha,
    check_alternative,
    check_direction,
    check_dropout,
    check_power,
    enrolled_sizes,
    exactly_one_none,
    orient,
    resolve_sizes,
    sides,
    size_columns,
    solve_increasing,
    standardised_effect,
)
from .analytic import TTestPower, power_ttest

__all__ = [
    "AncovaPower",
    "ContinuousSimulationPower",
    "TTestPower",
    "power_ancova",
    "power_ttest",
    "simulate_power_continuous",
]


# --------------------------------------------------------------------------------------------
# ANCOVA, closed form
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AncovaPower(SidedFromAlternative, Result):
    """Power or sample size of an ANCOVA on a baseline covariate (see :func:`power_ancova`).

    ``alternative`` is the side of the test; ``sided`` (1 or 2) follows from it."""

    effect_size: float
    rho: float
    power: float
    alpha: float
    alternative: str
    allocation_ratio: float
    n_exact: list[float]
    n_per_arm: list[int]
    n_total: int
    dropout: float
    solved_for: str
    method: str = "ANCOVA on baseline (noncentral t, n1 + n2 - 3 df, variance x (1 - rho^2))"

    _title = "Power for an ANCOVA"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "effect_size": self.effect_size, "rho": self.rho, **size_columns(self),
        }])


def _ancova_power(d: float, rho: float, n1: float, n2: float, alpha: float,
                  alternative: str) -> float:
    """Power of the ANCOVA t-test (noncentral t): both tails when two-sided, else the tail of
    ``alternative`` (small when the effect ``d`` lies the other way)."""
    df = n1 + n2 - 3
    if df <= 0:
        return float("nan")
    two = alternative == "two-sided"
    nc = orient(d, alternative) / math.sqrt(1 - rho * rho) * math.sqrt(n1 * n2 / (n1 + n2))
    crit = stats.t.ppf(1 - alpha / sides(alternative), df)
    p = stats.nct.sf(crit, df, nc)
    if two:
        p += stats.nct.cdf(-crit, df, nc)
    if not math.isfinite(p):  # scipy's nct fails far in the tail: normal limit there
        p = stats.norm.cdf(nc - crit) + (stats.norm.cdf(-nc - crit) if two else 0.0)
    return float(min(p, 1.0))


def power_ancova(
    effect_size: float | None = None,
    *,
    difference: float | None = None,
    sd: float | None = None,
    rho: float,
    n1: float | None = None,
    n2: float | None = None,
    n_total: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    allocation_ratio: float = 1.0,
    dropout: float = 0.0,
) -> AncovaPower:
    """Power, sample size or detectable difference of an ANCOVA adjusting for baseline.

    Leave exactly one of the size (``n1``/``n2`` or ``n_total``), the effect
    (``effect_size`` or ``difference``/``sd``) and ``power`` unset.

    Parameters
    ----------
    effect_size : float, optional
        Standardised difference at the end point, (mean1 - mean2) / sd, with the unadjusted
        end-point sd.
    difference, sd : float, optional
        Alternative to ``effect_size``.
    rho : float in (-1, 1)
        Correlation between baseline and end point within an arm.
    n1, n2, n_total : float, optional
        Evaluable patients per arm (or in all).
    power : float in (0, 1), optional
    alpha : float in (0, 1), default 0.05
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about mean1 - mean2 (experimental minus control). Against an
        effect in the other direction a one-sided test has the small power of rejecting in the
        stated direction, and solving for the sample size raises an error. Solving for the
        effect returns a negative ``effect_size`` with ``"less"``, a positive one otherwise.
    allocation_ratio : float > 0, default 1
        n1 / n2.
    dropout : float in [0, 1), default 0
        ``n_per_arm`` is inflated by ``1 / (1 - dropout)`` (the ``n_exact`` stay evaluable).

    Returns
    -------
    AncovaPower
        ``n_exact`` unrounded, ``n_per_arm`` rounded up per arm.

    Notes
    -----
    The adjusted difference has variance ``sigma^2 (1 - rho^2) (1/n1 + 1/n2)`` (ignoring the
    chance imbalance of baseline means, negligible beyond very small trials), tested by a t test
    on ``n1 + n2 - 3`` df; power is the noncentral-t probability of both tails when two-sided, of
    the stated tail when one-sided (Borm, Fransen &
    Lemmens 2007, J Clin Epidemiol 60:1234, with the exact t instead of the normal). With
    ``rho = 0`` this is the t-test with one df fewer. Checked against simulation
    (``tests/test_continuous.py``).

    Examples
    --------
    >>> round(power_ancova(0.5, rho=0.6, n1=40, n2=40).power, 4)
    0.7882
    >>> round(power_ancova(rho=0.6, n1=40, n2=40, power=0.9).effect_size, 4)
    0.5872
    >>> power_ancova(difference=-4, sd=6, rho=0.5, power=0.8, alternative="less").n_per_arm
    [22, 22]
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    power = check_power(power, alpha, alternative)
    rho = _check_real("rho", rho)
    if not -1 < rho < 1:
        raise InvalidParameterError(f"`rho` must be in (-1, 1); got {rho!r}.")
    allocation_ratio = _check_positive("allocation_ratio", allocation_ratio)
    dropout = check_dropout(dropout)
    effect_size = standardised_effect(effect_size, difference, sd)
    n1, n2, r = resolve_sizes(n1, n2, n_total, allocation_ratio)
    given = n1 is not None
    solve = exactly_one_none(n=n1, effect_size=effect_size, power=power)
    if given and n1 + n2 < 4:
        raise InvalidParameterError(
            f"an ANCOVA needs at least 4 patients in all; got n1 = {n1:g}, n2 = {n2:g}.")
    if solve == "n":
        check_direction(alternative, effect_size, power,
                        h1=f"mean1 - mean2 {'>' if alternative == 'greater' else '<'} 0",
                        assumed=f"effect_size = {effect_size:g}")

        def f(n2_):
            return _ancova_power(effect_size, rho, r * n2_, n2_, alpha, alternative)
        lo = max(2.0, 4.0 / (1 + r)) + 1e-9
        z = stats.norm.ppf(1 - alpha / sides(alternative)) + stats.norm.ppf(power)
        guess = z * z * (1 - rho * rho) * (1 + 1 / r) / effect_size ** 2
        n2 = solve_increasing(f, power, lo, 10 * guess + 100, name="power",
                              what="no sample size reaches it")
        n1 = r * n2
    elif solve == "power":
        power = _ancova_power(effect_size, rho, n1, n2, alpha, alternative)
    else:
        # the detectable effect in the tested direction: negative for "less"
        sign = -1.0 if alternative == "less" else 1.0
        effect_size = sign * solve_increasing(
            lambda d: _ancova_power(sign * d, rho, n1, n2, alpha, alternative), power, 1e-9,
            50.0, name="power", what="no effect size reaches it")
    n_per_arm = enrolled_sizes(n1, n2, dropout, given)
    return AncovaPower(
        effect_size=float(effect_size), rho=rho, power=float(power), alpha=alpha,
        alternative=alternative, allocation_ratio=float(n1 / n2), n_exact=[float(n1), float(n2)],
        n_per_arm=n_per_arm, n_total=sum(n_per_arm), dropout=float(dropout), solved_for=solve,
    )


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------
#: analyses run by :func:`simulate_power_continuous`, in the order of its table
SIMULATED_METHODS = ("mmrm", "ancova_completers", "ttest_completers", "ancova_locf")

_METHOD_LABELS = {
    "mmrm": "MMRM (arm x visit + baseline, unstructured, REML), last visit",
    "ancova_completers": "ANCOVA on baseline, completers at the last visit",
    "ttest_completers": "Welch t-test, completers at the last visit",
    "ancova_locf": "ANCOVA on baseline after LOCF (sensitivity)",
}


@dataclass(frozen=True)
class ContinuousSimulationPower(Result):
    """Monte Carlo power of several analyses of one :class:`ContinuousDesign`.

    Attributes
    ----------
    table : DataFrame
        One row per analysis: ``method, label, power, mc_se, n_reps, n_failed, true_difference,
        mean_estimate, bias, empirical_se, mean_se, coverage``. ``power`` is the share of fitted
        replicates with a two-sided p-value below ``alpha``; ``mc_se = sqrt(power (1 - power) /
        n_fitted)``; ``n_failed`` replicates could not be fitted (MMRM not converged or not
        estimable) and are left out. ``coverage`` is the share of intervals at level
        ``1 - alpha`` holding ``true_difference``.
    n_reps, alpha, seed, chunk_size, design :
        Settings; the numbers depend only on ``seed``, ``n_reps`` and ``chunk_size``.
    completion : float
        Share of patients observed at the last visit.
    """

    table: pd.DataFrame
    n_reps: int
    alpha: float
    seed: int | None
    chunk_size: int
    completion: float
    design: dict
    _title = "Simulated power"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def power(self, method: str = "mmrm") -> float:
        """Power of one analysis (``"mmrm"``, ``"ancova_completers"``, ...)."""
        if method not in SIMULATED_METHODS:
            raise InvalidParameterError(
                f"`method` must be one of {', '.join(SIMULATED_METHODS)}; got {method!r}.")
        return float(self.table.set_index("method").loc[method, "power"])


def _power_chunk(args) -> dict[str, np.ndarray]:
    """Simulate and analyse one chunk of replicates (module level, so processes can import it)."""
    from ..analysis.continuous import ancova_arrays, mmrm_arrays, ttest_arrays
    from ..simulate.continuous import simulate_continuous_arrays

    seed, size, design, alpha = args
    s = simulate_continuous_arrays(design, size, rng=np.random.default_rng(seed))
    conf = 1 - alpha
    base = s.y[..., 0]
    out = {}
    mm = mmrm_arrays(s.y[..., 1:], s.observed[..., 1:], s.arm, baseline=base, conf_level=conf)
    out["mmrm"] = mm
    end_obs = s.observed[..., -1]
    out["ancova_completers"] = ancova_arrays(s.y[..., -1], end_obs, s.arm, base)
    out["ttest_completers"] = ttest_arrays(s.y[..., -1], end_obs, s.arm)
    last = s.last_visit
    y_locf = np.take_along_axis(s.y, last[..., None], axis=-1)[..., 0]
    out["ancova_locf"] = ancova_arrays(y_locf, np.ones_like(end_obs), s.arm, base)
    for key in ("ancova_completers", "ttest_completers", "ancova_locf"):
        res = out[key]
        q = stats.t.ppf(1 - alpha / 2, res["df"])
        res["ci_lower"] = res["estimate"] - q * res["se"]
        res["ci_upper"] = res["estimate"] + q * res["se"]
    out["completion"] = np.array([end_obs.sum(), end_obs.size], dtype=float)
    return out


def simulate_power_continuous(design, *, n_reps: int = 1000, alpha: float = 0.05, rng=None,
                              chunk_size: int = 250, workers: int | None = None,
                              progress: bool | None = None) -> ContinuousSimulationPower:
    """Monte Carlo power of the MMRM and of end-point analyses for a design with drop-out.

    Parameters
    ----------
    design : ContinuousDesign
    n_reps : int >= 1, default 1000
    alpha : float in (0, 1), default 0.05
        Two-sided significance level.
    rng : int, SeedSequence or None
        Seed of the chunk streams (a Generator is turned into a seed by drawing from it).
    chunk_size : int >= 1, default 250
        Replicates simulated and fitted together. The results depend on it (each chunk has its own
        stream), never on ``workers``.
    workers : int, optional
        Local processes (see :func:`workbench._parallel.map_chunks`); None runs here.
    progress : bool or None, default None
        Progress bar over chunks; None shows it only on a terminal.

    Returns
    -------
    ContinuousSimulationPower
        ``table`` with one row per analysis (see the class), Monte Carlo standard errors included.

    Notes
    -----
    No loop over replicates: each chunk is simulated as arrays and all its MMRMs are fitted at once
    by batched Fisher scoring (:func:`workbench.analysis.continuous.mmrm_arrays`), which handles any
    missing-data pattern. The MMRM uses the residual ``N_obs - p`` degrees of freedom (as
    ``nlme::gls``); with 40 or more patients the difference from a Satterthwaite df changes the
    power by well under its Monte Carlo error.

    Examples
    --------
    >>> from workbench.design import ContinuousDesign
    >>> res = simulate_power_continuous(ContinuousDesign.from_t7(), n_reps=200, rng=1,
    ...                                 progress=False)
    >>> res.table[["method", "power", "mc_se"]].round(3)
                  method  power  mc_se
    0               mmrm  0.520  0.035
    1  ancova_completers  0.485  0.035
    2   ttest_completers  0.475  0.035
    3        ancova_locf  0.475  0.035
    """
    from .._parallel import chunk_seeds, map_chunks
    from ..design.continuous import ContinuousDesign

    if not isinstance(design, ContinuousDesign):
        raise InvalidParameterError(
            f"`design` must be a ContinuousDesign; got {type(design).__name__}.")
    n_reps = _check_int("n_reps", n_reps, minimum=1)
    alpha = _check_probability("alpha", alpha)
    chunk_size = _check_int("chunk_size", chunk_size, minimum=1)
    seed = rng
    if isinstance(rng, np.random.Generator):
        seed = int(rng.integers(2**63 - 1))
    elif isinstance(rng, bool) or not (
            rng is None or isinstance(rng, int | np.random.SeedSequence)):
        raise InvalidParameterError(
            f"`rng` must be an int seed, a SeedSequence, a Generator or None; got {rng!r}.")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    chunks = [(s, n, design, alpha) for s, n in chunk_seeds(seed, n_reps, chunk_size=chunk_size)]
    parts = map_chunks(_power_chunk, chunks, workers=workers, progress=progress)
    true = design.endpoint_difference
    rows = []
    for key in SIMULATED_METHODS:
        cat = {k: np.concatenate([p[key][k] for p in parts]) for k in
               ("estimate", "se", "p_value", "ci_lower", "ci_upper")}
        ok = np.isfinite(cat["p_value"])
        n_ok = int(ok.sum())
        rej = cat["p_value"][ok] < alpha
        pw = float(rej.mean()) if n_ok else float("nan")
        est = cat["estimate"][ok]
        rows.append({
            "method": key, "label": _METHOD_LABELS[key], "power": pw,
            "mc_se": math.sqrt(pw * (1 - pw) / n_ok) if n_ok else float("nan"),
            "n_reps": n_reps, "n_failed": n_reps - n_ok, "true_difference": true,
            "mean_estimate": float(est.mean()) if n_ok else float("nan"),
            "bias": float(est.mean() - true) if n_ok else float("nan"),
            "empirical_se": float(est.std(ddof=1)) if n_ok > 1 else float("nan"),
            "mean_se": float(cat["se"][ok].mean()) if n_ok else float("nan"),
            "coverage": float(np.mean((cat["ci_lower"][ok] <= true)
                                      & (true <= cat["ci_upper"][ok]))) if n_ok else float("nan"),
        })
    counts = np.sum([p["completion"] for p in parts], axis=0)
    completion = float(counts[0] / counts[1])
    return ContinuousSimulationPower(
        table=pd.DataFrame(rows), n_reps=n_reps, alpha=alpha,
        seed=int(seed) if not isinstance(seed, np.random.SeedSequence) else None,
        chunk_size=chunk_size, completion=completion, design=design.to_dict(),
    )
