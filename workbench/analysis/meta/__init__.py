"""Meta-analysis of study-level summary data.

Effect sizes from summary data (:func:`effect_sizes`, :func:`smd_effect_sizes`,
:func:`rr_effect_sizes`, :func:`or_effect_sizes`, :func:`rd_effect_sizes`), pooling with a
fixed-effect (inverse-variance) or random-effects model (DerSimonian-Laird, REML or Paule-Mandel
between-study variance, optional Hartung-Knapp adjustment; :func:`meta_analysis`) or with
Mantel-Haenszel for 2 x 2 tables (:func:`mantel_haenszel`), heterogeneity (Q, I-squared, H-squared,
tau-squared with its Q-profile interval), prediction intervals, Egger's regression test
(:func:`egger_test`), trim-and-fill (:func:`trim_and_fill`), leave-one-out (:func:`leave_one_out`)
and subgroups with a between-subgroup test (:func:`subgroup_analysis`). For simulated bodies of
trials, :func:`pool_replicates` and :func:`egger_replicates` analyse many replicates at once.

The computations follow R's metafor package (version 3.8: ``escalc``, ``rma.uni``, ``rma.mh``,
``predict``, ``confint``, ``regtest``, ``trimfill``, ``leave1out``) and are tested against its
output (``tests/reference/meta_analysis.json``). Iterative estimators are run to full convergence by
default; ``control=METAFOR_CONTROL`` reproduces metafor's default stopping rules (REML stops when
tau-squared changes by less than 1e-5; Paule-Mandel and the Q-profile interval use R's ``uniroot``
with tolerance ``.Machine$double.eps^0.25``), so its printed numbers can be matched digit for digit.

Effect sizes are on the analysis scale throughout: log risk ratio and log odds ratio for ``RR`` and
``OR`` (``numpy.exp`` gives ratios), risk difference for ``RD``, Hedges' g for ``SMD``.

The package is split by concern: :mod:`~workbench.analysis.meta.escalc` (effect sizes),
:mod:`~workbench.analysis.meta.tau2` (the one implementation of the tau-squared estimators,
vectorised over replicates), :mod:`~workbench.analysis.meta.model` (``rma.uni`` and ``rma.mh``),
:mod:`~workbench.analysis.meta.bias` (Egger, trim-and-fill),
:mod:`~workbench.analysis.meta.sensitivity` (leave-one-out, subgroups),
:mod:`~workbench.analysis.meta.replicates` and :mod:`~workbench.analysis.meta.results`; every public
name is importable from :mod:`workbench.analysis.meta`.
"""

from __future__ import annotations

from .bias import egger_test, trim_and_fill
from .escalc import (
    MEASURES,
    effect_sizes,
    or_effect_sizes,
    rd_effect_sizes,
    rr_effect_sizes,
    smd_effect_sizes,
)
from .model import METAFOR_CONTROL, METHODS, mantel_haenszel, meta_analysis
from .replicates import egger_replicates, pool_replicates
from .results import (
    EffectSizes,
    EggerResult,
    LeaveOneOutResult,
    MetaAnalysisResult,
    SubgroupResult,
    TrimFillResult,
)
from .sensitivity import leave_one_out, subgroup_analysis

__all__ = [
    "METAFOR_CONTROL",
    "MEASURES",
    "METHODS",
    "smd_effect_sizes",
    "rr_effect_sizes",
    "or_effect_sizes",
    "rd_effect_sizes",
    "effect_sizes",
    "EffectSizes",
    "meta_analysis",
    "mantel_haenszel",
    "MetaAnalysisResult",
    "egger_test",
    "EggerResult",
    "trim_and_fill",
    "TrimFillResult",
    "leave_one_out",
    "LeaveOneOutResult",
    "subgroup_analysis",
    "SubgroupResult",
    "pool_replicates",
    "egger_replicates",
]
