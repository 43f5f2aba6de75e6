"""Simulation of bodies of trials for meta-analysis, with publication bias.

Vectorised over replicates.

Each trial of a :class:`~workbench.design.meta.MetaAnalysisDesign` gets a true standardised effect
``theta_i ~ N(effect, tau^2)``; its observed mean difference and pooled SD are drawn from their
exact sampling distributions under normal outcomes with unit SD (difference ``~ N(theta_i, 1/n1 +
1/n2)``, pooled variance ``~ chi2(n1 + n2 - 2) / (n1 + n2 - 2)``), giving the trial's t statistic,
its two-sided p-value and Hedges' g with the variance of
:func:`workbench.analysis.meta.smd_effect_sizes`. Publication is a selection model: a trial
significant in favour of the experimental arm is published with probability
``p_publish_significant``, any other with ``p_publish_nonsignificant``.

:func:`simulate_meta_arrays` draws ``(n_reps, k)`` arrays; :func:`simulate_meta` one body of trials
as a table; :func:`publication_probability` gives each trial's probability of publication;
:func:`write_meta_datasets` writes the study-level datasets in ``synthetic_data/meta``. Analysing
the replicates is the analysis layer's work (:func:`workbench.analysis.meta.pool_replicates`,
:func:`workbench.analysis.meta.egger_replicates`); what selective publication does to a
meta-analysis is :func:`workbench.power.meta.publication_bias`.

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
from .._validation import as_generator, check_choice, check_int, type_name
from ..design import load_design
from ..design.meta import MetaAnalysisDesign
from ..exceptions import InvalidParameterError

__all__ = [
    "BLOCK",
    "MetaArrays",
    "simulate_meta_arrays",
    "simulate_meta",
    "publication_probability",
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
            f"`design` must be a MetaAnalysisDesign; got {type_name(design)}.")
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
        """Number of replicates."""
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
    n_reps = check_int("n_reps", n_reps, minimum=1)
    gen = as_generator(rng)
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
    assert design.n2 is not None  # set to n1 when not given
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
    return np.asarray(design.p_publish_significant * p_sig
                      + design.p_publish_nonsignificant * (1 - p_sig))


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
    check_choice("scenario", scenario, DATASET_SEEDS)
    design = load_design(scenario)
    gen = as_generator(DATASET_SEEDS[scenario] if rng is None else rng)
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
