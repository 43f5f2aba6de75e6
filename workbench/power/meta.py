"""What selective publication does to a meta-analysis, by simulation.

:func:`publication_bias` simulates a body of trials many times
(:func:`workbench.simulate.meta.simulate_meta_arrays`), pools every replicate twice, all trials and
the published ones (:func:`workbench.analysis.meta.pool_replicates`), and runs Egger's test on both
(:func:`workbench.analysis.meta.egger_replicates`): the bias of the pooled estimate, the coverage of
its interval and how often Egger's test detects the asymmetry, with Monte Carlo standard errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_choice, check_int, check_probability, type_name
from ..analysis.meta import egger_replicates, pool_replicates
from ..analysis.meta.replicates import POOL_METHODS
from ..design.meta import MetaAnalysisDesign
from ..exceptions import InvalidParameterError
from ..results import Result
from ..simulate.meta import publication_probability, simulate_meta_arrays

__all__ = ["PublicationBiasResult", "publication_bias"]


def _check_design(design) -> MetaAnalysisDesign:
    if not isinstance(design, MetaAnalysisDesign):
        raise InvalidParameterError(
            f"`design` must be a MetaAnalysisDesign; got {type_name(design)}.")
    return design


@dataclass(frozen=True, eq=False, repr=False)
class PublicationBiasResult(Result):
    """What selective publication does to a meta-analysis, over ``n_reps`` simulated replicates.

    Attributes
    ----------
    design : MetaAnalysisDesign
    method : str
        Pooling method (DL, REML or FE).
    conf_level : float
        Confidence level of the intervals whose coverage is counted.
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
    conf_level: float
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
        """Number of replicates."""
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
        """Rows ``all trials`` and ``published trials``.

        Columns ``analysis, k_mean, mean_estimate, mc_se, bias, true_effect, coverage,
        coverage_mc_se, egger_rejection, n_valid, method``.
        """
        return pd.DataFrame([
            self._row("all trials", self.estimates_all, self.covered_all, self.egger_p_all,
                      float(self.design.k)),
            self._row("published trials", self.estimates_published, self.covered_published,
                      self.egger_p_published, float(self.k_published.mean())),
        ])

    @property
    def bias_published(self) -> float:
        """Bias of the pooled estimate over the published trials only."""
        return float(self.summary.loc[1, "bias"])

    def __repr__(self) -> str:
        s = self.summary
        return (f"PublicationBiasResult({self.method}, {self.n_reps} replicates, true effect "
                f"{self.true_effect:.3g}: all trials {s.loc[0, 'mean_estimate']:.3g} "
                f"(coverage {s.loc[0, 'coverage']:.1%}), published "
                f"{s.loc[1, 'mean_estimate']:.3g} from {s.loc[1, 'k_mean']:.1f} of "
                f"{self.design.k} trials (coverage {s.loc[1, 'coverage']:.1%}))")


def publication_bias(design: MetaAnalysisDesign, n_reps: int = 2000, *, method: str = "DL",
                     conf_level: float = 0.95, egger_alpha: float = 0.10, rng=None,
                     progress: bool | None = None) -> PublicationBiasResult:
    """Simulate a body of trials many times and pool all of them versus the published ones.

    Parameters
    ----------
    design : MetaAnalysisDesign
        Trials, true effects and the selection model of publication.
    n_reps : int >= 2, default 2000
    method : {"DL", "REML", "FE"}, default "DL"
    conf_level : float in (0, 1), default 0.95
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
    n_reps = check_int("n_reps", n_reps, minimum=2)
    check_choice("method", method, POOL_METHODS)
    conf_level = check_probability("conf_level", conf_level)
    egger_alpha = check_probability("egger_alpha", egger_alpha)
    sims = simulate_meta_arrays(design, n_reps, rng=rng, progress=progress)
    all_ = pool_replicates(sims.yi, sims.vi, method=method, conf_level=conf_level)
    pub = pool_replicates(sims.yi, sims.vi, sims.published, method=method, conf_level=conf_level)
    mu = design.effect

    def covered(r):
        return (r["ci_lower"] <= mu) & (mu <= r["ci_upper"])

    return PublicationBiasResult(
        design=design, method=method, conf_level=conf_level, true_effect=mu,
        estimates_all=all_["estimate"], estimates_published=pub["estimate"],
        covered_all=covered(all_), covered_published=covered(pub), k_published=pub["k"],
        egger_p_all=egger_replicates(sims.yi, sims.vi)["p_value"],
        egger_p_published=egger_replicates(sims.yi, sims.vi, sims.published)["p_value"],
        expected_k_published=float(publication_probability(design).sum()),
        egger_alpha=egger_alpha)
