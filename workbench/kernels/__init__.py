"""Vectorised numerical kernels on arrays: no data frames, no designs.

The batched two-arm tests over many replicates (log-rank, Cox, two proportions, t-test, ANCOVA,
MMRM; weighted log-rank tests) in :mod:`~workbench.kernels.replicates`, Kaplan-Meier RMST and
milestone summaries per replicate in :mod:`~workbench.kernels.curves`, the MaxCombo p-value of
four dependent weighted log-rank statistics in :mod:`~workbench.kernels.maxcombo`, the REML
engine of the MMRM in
:mod:`~workbench.kernels.reml`, and the Farrington-Manning score statistics in
:mod:`~workbench.kernels.score`. They sit below every layer: a design's planned tests, the
analysis functions and the power calculations all call the same code.
"""
