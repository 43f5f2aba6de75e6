"""Simulation of bodies of trials for meta-analysis, with publication bias, vectorised over
replicates.

Each trial of a :class:`~workbench.design.meta.MetaAnalysisDesign` gets a true standardised effect
``theta_i ~ N(effect, tau^2)``; its observed mean difference and pooled SD are drawn from their
exact sampling distributions under normal outcomes with unit SD (difference ``~ N(theta_i, 1/n1 +
1/n2)``, pooled variance ``~ chi2(n1 + n2 - 2) / (n1 + n2 - 2)``), giving the trial's t statistic,
its two-sided p-value and Hedges' g with the variance used by :func:`workbench.analysis.meta.smd`.
Publication is a selection model: a trial significant in favour of the experimental arm is published
with probability ``p_publish_significant``, any other with ``p_publish_nonsignificant``.

:func:`simulate_meta_arrays` draws ``(n_reps, k)`` arrays; :func:`simulate_meta` one body of trials
as a table; :func:`publication_bias` pools every replicate twice (all trials, published trials) to
show how selective publication inflates the pooled estimate; :func:`write_meta_datasets` writes the
study-level datasets in ``synthetic_data/meta``.

Random numbers: replicates are drawn in blocks of :data:`BLOCK` from independent streams
(``Generator.spawn``), with one stream per quantity, so the first n replicates are the same whatever
``n_reps``.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from .._progress import progress_bar
from .._validation import _check_choice, _check_int, _check_probability, _rng
from ..design import load_design
from ..design.meta import MetaAnalysisDesign
from ..exceptions import InvalidParameterError
from ..results import Result

__all__ = [
    "BLOCK",
    "MetaArrays",
    "simulate_meta_arrays",
    "simulate_meta",
    "publication_probability",
    "pool_replicates",
    "egger_replicates",
    "publication_bias",
    "PublicationBiasResult",
    "make_meta_dataset",
    "write_meta_datasets",
    "META_DICTIONARY",
    "DATASET_SEEDS",
]

#: Replicates per random-number block.
BLOCK = 1000


def _check_design(design) -> MetaAnalysisDesign:
    if not isinstance(design, MetaAnalysisDesign):
        raise InvalidParameterError(
            f"`design` must be a MetaAnalysisDesign; got {type(design).__name__}.")
    return design


@dataclass(frozen=True, eq=False)
class MetaArrays:
    """Replicates of a body of trials; every array has shape ``(n_reps, k)``.

    Attributes
    ----------
    theta : true standardised effect of each trial.
    yi, vi : Hedges' g and its sampling variance.
    t, p_value : the trial's two-sample t statistic (experimental minus control) and two-sided
        p-value.
    significant : p < alpha and t > 0 (significant in favour of the experimental arm).
    published : the trial is published under the selection model.
    """

    theta: np.ndarray
    yi: np.ndarray
    vi: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    significant: np.ndarray
    published: np.ndarray

    @property
    def n_reps(self) -> int:
        return self.yi.shape[0]


def simulate_meta_arrays(design: MetaAnalysisDesign, n_reps: int, *, rng=None,
                         progress: bool | None = None) -> MetaArrays:
    """Draw ``n_reps`` replicates of all k trials of ``design`` at once.

    Parameters
    ----------
    design : MetaAnalysisDesign
    n_reps : int >= 1
    rng : numpy.random.Generator, int or None
        Seed or generator; the same seed gives the same numbers.
    progress : bool or None
        Progress bar (tqdm); None shows it only on a terminal.

    Returns
    -------
    MetaArrays

    Examples
    --------
    >>> from workbench.design.meta import MetaAnalysisDesign
    >>> d = MetaAnalysisDesign(n1=[40, 60, 80], effect=0.3)
    >>> sims = simulate_meta_arrays(d, 5, rng=1)
    >>> sims.yi.shape, bool(sims.published.all())
    ((5, 3), True)
    """
    design = _check_design(design)
    n_reps = _check_int("n_reps", n_reps, minimum=1)
    gen = _rng(rng)
    n1 = np.asarray(design.n1, float)
    n2 = np.asarray(design.n2, float)
    a = 1.0 / n1 + 1.0 / n2
    df = n1 + n2 - 2.0
    j = np.exp(special.gammaln(df / 2) - 0.5 * np.log(df / 2) - special.gammaln((df - 1) / 2))
    tcrit = stats.t.isf(design.alpha / 2, df)
    n_blocks = -(-n_reps // BLOCK)
    parts = []
    with progress_bar(progress, total=n_reps, unit="rep", desc="meta", leave=False) as bar:
        for b, child in enumerate(gen.spawn(n_blocks)):
            m = min(BLOCK, n_reps - b * BLOCK)
            g_theta, g_diff, g_var, g_pub = child.spawn(4)
            shape = (m, design.k)
            theta = design.effect + design.tau * g_theta.standard_normal(shape)
            diff = theta + np.sqrt(a) * g_diff.standard_normal(shape)
            s2 = g_var.chisquare(np.broadcast_to(df, shape)) / df
            d = diff / np.sqrt(s2)
            t = d / np.sqrt(a)
            p = 2 * stats.t.sf(np.abs(t), df)
            g = j * d
            vi = a + g**2 / (2 * (n1 + n2))
            sig = (t > tcrit)
            prob = np.where(sig, design.p_publish_significant, design.p_publish_nonsignificant)
            pub = g_pub.random(shape) < prob
            parts.append((theta, g, vi, t, p, sig, pub))
            bar.update(m)
    cols = [np.concatenate(x, axis=0) for x in zip(*parts, strict=True)]
    return MetaArrays(theta=cols[0], yi=cols[1], vi=cols[2], t=cols[3], p_value=cols[4],
                      significant=cols[5], published=cols[6])


def simulate_meta(design: MetaAnalysisDesign, *, rng=None) -> pd.DataFrame:
    """Simulate one body of trials as a study-level table.

    Returns
    -------
    pandas.DataFrame
        One row per trial: ``study, n1, n2, theta, yi, vi, t, p_value, significant, published``.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> df = simulate_meta(load_design("m1"), rng=3)
    >>> list(df.columns)[:5], len(df)
    (['study', 'n1', 'n2', 'theta', 'yi'], 5)
    """
    design = _check_design(design)
    s = simulate_meta_arrays(design, 1, rng=rng, progress=False)
    return pd.DataFrame({
        "study": [f"{design.name or 'S'}-{i + 1:02d}" for i in range(design.k)],
        "n1": list(design.n1), "n2": list(design.n2), "theta": s.theta[0], "yi": s.yi[0],
        "vi": s.vi[0], "t": s.t[0], "p_value": s.p_value[0], "significant": s.significant[0],
        "published": s.published[0]})


def publication_probability(design: MetaAnalysisDesign) -> np.ndarray:
    """Probability that each trial is published, from the noncentral t distribution.

    ``P(significant) = P(T > t_{1-alpha/2, df})`` with ``T ~ t(df, theta / sqrt(1/n1 + 1/n2))``,
    averaged over ``theta ~ N(effect, tau^2)`` by Gauss-Hermite quadrature; then
    ``p_sig P(significant) + p_nonsig (1 - P(significant))``.

    >>> from workbench.design.meta import MetaAnalysisDesign
    >>> d = MetaAnalysisDesign(n1=[64], effect=0.5, p_publish_nonsignificant=0.0)
    >>> round(float(publication_probability(d)[0]), 3)
    0.801
    """
    design = _check_design(design)
    n1 = np.asarray(design.n1, float)
    n2 = np.asarray(design.n2, float)
    a = 1.0 / n1 + 1.0 / n2
    df = n1 + n2 - 2.0
    tcrit = stats.t.isf(design.alpha / 2, df)
    if design.tau == 0:
        p_sig = stats.nct.sf(tcrit, df, design.effect / np.sqrt(a))
    else:
        x, w = np.polynomial.hermite.hermgauss(60)
        theta = design.effect + math.sqrt(2) * design.tau * x[:, None]
        p_sig = (w[:, None] * stats.nct.sf(tcrit, df, theta / np.sqrt(a))).sum(0) / math.sqrt(
            math.pi)
    return (design.p_publish_significant * p_sig
            + design.p_publish_nonsignificant * (1 - p_sig))


def pool_replicates(yi, vi, mask=None, *, method: str = "DL", level: float = 0.95,
                    tol: float = 1e-10, maxiter: int = 500) -> dict[str, np.ndarray]:
    """Pool every row of ``(n_reps, k)`` arrays at once (fixed effect, DerSimonian-Laird or REML).

    Parameters
    ----------
    yi, vi : array_like, shape (n_reps, k)
    mask : array_like of bool, optional
        Which trials enter each row's meta-analysis (e.g. the published ones).
    method : {"DL", "REML", "FE"}
    level : float in (0, 1)

    Returns
    -------
    dict of arrays of shape (n_reps,)
        ``estimate, se, ci_lower, ci_upper, tau2, k``; NaN where fewer than two trials enter.

    Notes
    -----
    The same estimators as :func:`workbench.analysis.meta.meta_analysis` (REML by Fisher scoring
    from the Hedges estimate, without metafor's check of the likelihood at tau2 = 0), vectorised
    over rows.

    >>> res = pool_replicates([[0.62, 0.31, 0.85, 0.12, 0.47]], [[0.08, 0.05, 0.11, 0.04, 0.07]])
    >>> round(float(res["estimate"][0]), 4)
    0.3995
    """
    _check_choice("method", method, ("DL", "REML", "FE"))
    level = _check_probability("level", level)
    y = np.atleast_2d(np.asarray(yi, float))
    v = np.atleast_2d(np.asarray(vi, float))
    m = np.ones(y.shape, bool) if mask is None else np.atleast_2d(np.asarray(mask, bool))
    if not (y.shape == v.shape == m.shape):
        raise InvalidParameterError(
            f"`yi`, `vi` and `mask` must have the same shape; got {y.shape}, {v.shape}, {m.shape}.")
    y = np.where(m, y, 0.0)
    v = np.where(m, v, 1.0)
    mf = m.astype(float)
    kk = mf.sum(1)
    ok = kk >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            tau2 = np.zeros(y.shape[0])
        elif method == "DL":
            w = mf / v
            sw = w.sum(1)
            mu = (w * y).sum(1) / sw
            q = (w * (y - mu[:, None]) ** 2).sum(1)
            c = sw - (w**2).sum(1) / sw
            tau2 = np.maximum(0.0, (q - (kk - 1)) / c)
        else:
            ybar = (mf * y).sum(1) / kk
            rss = (mf * (y - ybar[:, None]) ** 2).sum(1)
            trpv = (mf * v).sum(1) * (1 - 1 / kk)
            tau2 = np.maximum(0.0, (rss - trpv) / (kk - 1))
            tau2 = np.where(ok, tau2, 0.0)
            active = ok.copy()
            for _ in range(maxiter):
                if not active.any():
                    break
                w = mf / (v + tau2[:, None])
                sw = w.sum(1)
                mu = (w * y).sum(1) / sw
                w2 = (w**2).sum(1)
                ypp = (w**2 * (y - mu[:, None]) ** 2).sum(1)
                trp = sw - w2 / sw
                trpp = w2 - 2 * (w**3).sum(1) / sw + (w2 / sw) ** 2
                adj = np.where(active, (ypp - trp) / trpp, 0.0)
                for _ in range(60):  # step halving, as metafor
                    neg = tau2 + adj < 0
                    if not neg.any():
                        break
                    adj = np.where(neg, adj / 2, adj)
                new = np.maximum(tau2 + adj, 0.0)
                active = active & (np.abs(new - tau2) > tol * np.maximum(1.0, new))
                tau2 = new
        w = mf / (v + tau2[:, None])
        sw = w.sum(1)
        est = (w * y).sum(1) / sw
        se = 1 / np.sqrt(sw)
    z = stats.norm.isf((1 - level) / 2)
    nan = np.nan
    est = np.where(ok, est, nan)
    se = np.where(ok, se, nan)
    return {"estimate": est, "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se,
            "tau2": np.where(ok, tau2, nan), "k": kk.astype(int)}


def egger_replicates(yi, vi, mask=None) -> dict[str, np.ndarray]:
    """Classical Egger test (weighted regression of yi on its standard error, multiplicative
    dispersion; metafor ``regtest(model="lm")``) for every row at once.

    Returns
    -------
    dict of arrays of shape (n_reps,)
        ``statistic`` (t of the standard-error coefficient), ``p_value`` (two-sided, t on k-2 df),
        ``k``; NaN where fewer than three trials enter.

    >>> res = egger_replicates([[0.62, 0.31, 0.85, 0.12, 0.47]], [[0.08, 0.05, 0.11, 0.04, 0.07]])
    >>> round(float(res["statistic"][0]), 4)
    15.0652
    """
    y = np.atleast_2d(np.asarray(yi, float))
    v = np.atleast_2d(np.asarray(vi, float))
    m = np.ones(y.shape, bool) if mask is None else np.atleast_2d(np.asarray(mask, bool))
    w = np.where(m, 1.0 / np.where(m, v, 1.0), 0.0)
    s = np.sqrt(np.where(m, v, 1.0))
    y = np.where(m, y, 0.0)
    kk = m.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s0, s1, s2 = w.sum(1), (w * s).sum(1), (w * s * s).sum(1)
        ty, tsy = (w * y).sum(1), (w * s * y).sum(1)
        det = s0 * s2 - s1**2
        b0 = (s2 * ty - s1 * tsy) / det
        b1 = (s0 * tsy - s1 * ty) / det
        rss = (w * (y - b0[:, None] - b1[:, None] * s) ** 2).sum(1)
        sigma2 = rss / (kk - 2)
        tval = b1 / np.sqrt(sigma2 * s0 / det)
        p = 2 * stats.t.sf(np.abs(tval), kk - 2)
    ok = kk >= 3
    return {"statistic": np.where(ok, tval, np.nan), "p_value": np.where(ok, p, np.nan), "k": kk}


@dataclass(frozen=True, eq=False, repr=False)
class PublicationBiasResult(Result):
    """What selective publication does to a meta-analysis, over ``n_reps`` simulated replicates.

    Attributes
    ----------
    design : MetaAnalysisDesign
    method : str
        Pooling method (DL, REML or FE).
    true_effect : float
        The mean true effect of the design.
    estimates_all, estimates_published : numpy.ndarray
        Pooled estimate of each replicate from all trials / from the published trials (NaN when
        fewer than two were published).
    covered_all, covered_published : numpy.ndarray of bool
        Whether the confidence interval covered the true effect.
    k_published : numpy.ndarray
        Number of published trials per replicate.
    egger_p_all, egger_p_published : numpy.ndarray
        Classical Egger p-values.
    expected_k_published : float
        Expected number of published trials (noncentral t, :func:`publication_probability`).
    egger_alpha : float
        Level at which Egger rejection rates are counted.
    """

    design: MetaAnalysisDesign
    method: str
    level: float
    true_effect: float
    estimates_all: np.ndarray
    estimates_published: np.ndarray
    covered_all: np.ndarray
    covered_published: np.ndarray
    k_published: np.ndarray
    egger_p_all: np.ndarray
    egger_p_published: np.ndarray
    expected_k_published: float
    egger_alpha: float = 0.10

    _title = "Publication bias simulation"

    @property
    def n_reps(self) -> int:
        return len(self.estimates_all)

    def _row(self, name, est, cov, egger_p, k_mean):
        ok = np.isfinite(est)
        n = int(ok.sum())
        mean = float(est[ok].mean()) if n else math.nan
        mc_se = float(est[ok].std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        c = cov[ok]
        cover = float(c.mean()) if n else math.nan
        eg = egger_p[np.isfinite(egger_p)]
        return {"analysis": name, "k_mean": k_mean, "mean_estimate": mean, "mc_se": mc_se,
                "bias": mean - self.true_effect, "true_effect": self.true_effect,
                "coverage": cover,
                "coverage_mc_se": math.sqrt(cover * (1 - cover) / n) if n else math.nan,
                "egger_rejection": float((eg < self.egger_alpha).mean()) if eg.size else math.nan,
                "n_valid": n, "method": self.method}

    @property
    def summary(self) -> pd.DataFrame:
        """Rows ``all trials`` and ``published trials``: ``analysis, k_mean, mean_estimate, mc_se,
        bias, true_effect, coverage, coverage_mc_se, egger_rejection, n_valid, method``."""
        return pd.DataFrame([
            self._row("all trials", self.estimates_all, self.covered_all, self.egger_p_all,
                      float(self.design.k)),
            self._row("published trials", self.estimates_published, self.covered_published,
                      self.egger_p_published, float(self.k_published.mean())),
        ])

    @property
    def bias_published(self) -> float:
        return float(self.summary.loc[1, "bias"])

    def __repr__(self) -> str:
        s = self.summary
        return (f"PublicationBiasResult({self.method}, {self.n_reps} replicates, true effect "
                f"{self.true_effect:.3g}: all trials {s.loc[0, 'mean_estimate']:.3g} "
                f"(coverage {s.loc[0, 'coverage']:.1%}), published "
                f"{s.loc[1, 'mean_estimate']:.3g} from {s.loc[1, 'k_mean']:.1f} of "
                f"{self.design.k} trials (coverage {s.loc[1, 'coverage']:.1%}))")


def publication_bias(design: MetaAnalysisDesign, n_reps: int = 2000, *, method: str = "DL",
                     level: float = 0.95, egger_alpha: float = 0.10, rng=None,
                     progress: bool | None = None) -> PublicationBiasResult:
    """Simulate a body of trials many times and pool all of them versus the published ones.

    Parameters
    ----------
    design : MetaAnalysisDesign
        Trials, true effects and the selection model of publication.
    n_reps : int >= 2, default 2000
    method : {"DL", "REML", "FE"}, default "DL"
    level : float in (0, 1), default 0.95
    egger_alpha : float in (0, 1), default 0.10
        Level for counting Egger's test as positive (0.10 is customary for this test).
    rng : Generator, int or None
    progress : bool or None

    Returns
    -------
    PublicationBiasResult
        ``.summary`` has the mean pooled estimate, its Monte Carlo standard error, the bias
        against the true effect and the coverage of the confidence interval, for all trials and
        for the published trials.

    Examples
    --------
    >>> from workbench.design.meta import MetaAnalysisDesign
    >>> d = MetaAnalysisDesign(n1=[20, 30, 40, 25, 60, 35, 45, 80], effect=0.2, tau=0.1,
    ...                        p_publish_nonsignificant=0.2)
    >>> res = publication_bias(d, 200, rng=1)
    >>> bool(res.summary.loc[1, "mean_estimate"] > res.summary.loc[0, "mean_estimate"])
    True
    """
    design = _check_design(design)
    n_reps = _check_int("n_reps", n_reps, minimum=2)
    _check_choice("method", method, ("DL", "REML", "FE"))
    level = _check_probability("level", level)
    egger_alpha = _check_probability("egger_alpha", egger_alpha)
    sims = simulate_meta_arrays(design, n_reps, rng=rng, progress=progress)
    all_ = pool_replicates(sims.yi, sims.vi, method=method, level=level)
    pub = pool_replicates(sims.yi, sims.vi, sims.published, method=method, level=level)
    mu = design.effect

    def covered(r):
        return (r["ci_lower"] <= mu) & (mu <= r["ci_upper"])

    return PublicationBiasResult(
        design=design, method=method, level=level, true_effect=mu,
        estimates_all=all_["estimate"], estimates_published=pub["estimate"],
        covered_all=covered(all_), covered_published=covered(pub), k_published=pub["k"],
        egger_p_all=egger_replicates(sims.yi, sims.vi)["p_value"],
        egger_p_published=egger_replicates(sims.yi, sims.vi, sims.published)["p_value"],
        expected_k_published=float(publication_probability(design).sum()),
        egger_alpha=egger_alpha)


# ==================================================================================================
# synthetic study-level datasets M1-M3
# ==================================================================================================

#: Seeds of the datasets in ``synthetic_data/meta``: for each scenario the first seed (from 1) whose
#: REML meta-analysis reproduces the published picture (M1: SMD 0.5-0.7, p < 0.01, I2 50-80%;
#: M2: SMD -0.28 to -0.15, p < 0.05, I2 20-50%; M3: |SMD| < 0.04, I2 below 30%).
DATASET_SEEDS = {"M1": 5, "M2": 2, "M3": 1}

#: Comparators and their shift of the true SMD, per scenario (share of trials in brackets).
_COMPARATORS = {
    "M1": (("pharmacotherapy", -0.3, 0.4), ("supportive therapy", 0.0, 0.3),
           ("waiting list", 0.3, 0.3)),
    "M2": (("CBT", 0.0, 0.7), ("other psychotherapy", 0.0, 0.3)),
    "M3": (("CBT", 0.0, 0.6), ("other psychotherapy", 0.0, 0.4)),
}

#: column -> (type, description) of the study-level datasets.
META_DICTIONARY: dict[str, tuple[str, str]] = {
    "study": ("string", "Trial label, e.g. M1-03"),
    "comparator": ("string", "Control condition of the trial"),
    "n_pdt": ("integer", "Patients randomised to psychodynamic therapy (PDT)"),
    "mean_pdt": ("float", "Mean improvement of HAM-D-17 from baseline to end of treatment in the "
                          "PDT arm (points; higher is better)"),
    "sd_pdt": ("float", "Standard deviation of the improvement in the PDT arm"),
    "n_ctrl": ("integer", "Patients randomised to the comparator"),
    "mean_ctrl": ("float", "Mean improvement in the comparator arm"),
    "sd_ctrl": ("float", "Standard deviation of the improvement in the comparator arm"),
    "dropout_pdt": ("integer", "Patients who dropped out of the PDT arm"),
    "dropout_ctrl": ("integer", "Patients who dropped out of the comparator arm"),
}


def make_meta_dataset(scenario: str, *, rng=None) -> pd.DataFrame:
    """One study-level dataset in the shape of meta-analysis M1, M2 or M3.

    Trial sizes come from the catalogue design (``load_design("m1")`` etc.; they add up to the
    published numbers of patients); true SMDs are ``effect + comparator shift + tau * z``; each
    trial's control-arm mean improvement is about 9 HAM-D points with a per-trial SD between 5.5
    and 8; observed means and SDs are drawn from their sampling distributions and rounded to 2
    decimals; drop-out is binomial with a trial-level rate around 20%, the same in both arms.

    Parameters
    ----------
    scenario : {"M1", "M2", "M3"}
    rng : Generator, int or None
        Default: the scenario's seed in :data:`DATASET_SEEDS`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`META_DICTIONARY`.

    >>> df = make_meta_dataset("M1")
    >>> len(df), int(df.n_pdt.sum() + df.n_ctrl.sum())
    (5, 435)
    """
    _check_choice("scenario", scenario, DATASET_SEEDS)
    design = load_design(scenario)
    gen = _rng(DATASET_SEEDS[scenario] if rng is None else rng)
    g_comp, g_theta, g_sigma, g_means, g_sd, g_drop = gen.spawn(6)
    k = design.k
    names, shifts, shares = zip(*_COMPARATORS[scenario], strict=True)
    counts = np.floor(np.array(shares) * k).astype(int)
    counts[0] += k - counts.sum()
    comp_idx = g_comp.permutation(np.repeat(np.arange(len(names)), counts))
    theta = (design.effect + np.asarray(shifts)[comp_idx]
             + design.tau * g_theta.standard_normal(k))
    sigma = g_sigma.uniform(5.5, 8.0, k)
    mean_ctrl_true = 9.0 + 1.5 * g_sigma.standard_normal(k)
    n1 = np.asarray(design.n1)
    n2 = np.asarray(design.n2)
    z = g_means.standard_normal((2, k))
    mean_pdt = mean_ctrl_true + theta * sigma + z[0] * sigma / np.sqrt(n1)
    mean_ctrl = mean_ctrl_true + z[1] * sigma / np.sqrt(n2)
    sd_pdt = sigma * np.sqrt(g_sd.chisquare(n1 - 1) / (n1 - 1))
    sd_ctrl = sigma * np.sqrt(g_sd.chisquare(n2 - 1) / (n2 - 1))
    rate = np.clip(0.2 * np.exp(0.3 * g_drop.standard_normal(k)), 0.02, 0.6)
    return pd.DataFrame({
        "study": [f"{scenario}-{i + 1:02d}" for i in range(k)],
        "comparator": [names[i] for i in comp_idx],
        "n_pdt": n1, "mean_pdt": np.round(mean_pdt, 2), "sd_pdt": np.round(sd_pdt, 2),
        "n_ctrl": n2, "mean_ctrl": np.round(mean_ctrl, 2), "sd_ctrl": np.round(sd_ctrl, 2),
        "dropout_pdt": g_drop.binomial(n1, rate), "dropout_ctrl": g_drop.binomial(n2, rate),
    })


def write_meta_datasets(directory: str | Path, scenarios=("M1", "M2", "M3")) -> list[Path]:
    """Write ``<scenario>.csv`` for each scenario into ``directory`` (byte for byte reproducible).

    Command: ``python -m workbench.simulate.meta synthetic_data/meta``.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in scenarios:
        df = make_meta_dataset(s)
        path = out / f"{s}.csv"
        df.to_csv(path, index=False, float_format="%.2f", lineterminator="\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - exercised via the test
    from .export import dataset_main

    return dataset_main(write_meta_datasets, "workbench.simulate.meta", argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
