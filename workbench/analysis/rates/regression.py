"""Adjusted analysis of rates: logistic regression on group and baseline covariates."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..._validation import check_dataframe, label_text
from ...exceptions import ConvergenceError, DataValidationError
from .._common import check_conf_level, z_critical
from ._counts import binary_values, count_table
from .results import LogisticRegressionResult

__all__ = ["logistic_regression"]


def logistic_regression(data, *, outcome="outcome", group="arm", covariates: Sequence[str] = (),
                        reference=None, conf_level: float = 0.95, missing=None,
                        higher_is_better: bool = True) -> LogisticRegressionResult:
    """Logistic regression of the outcome on group, adjusted for baseline covariates.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome, group : str
    covariates : sequence of str
        Baseline covariates; numeric columns enter linearly, other columns as indicator
        variables (first level as reference).
    reference : str, optional
        Reference group (default: the first in sorted order).
    conf_level : float in (0, 1), default 0.95
    missing : {None, "nri", "complete_case"}
        Missing outcomes, as in :func:`arm_rates`. Missing covariates are an error.

    Returns
    -------
    LogisticRegressionResult
        Wald intervals ``exp(b +/- z se)`` for the odds ratios.

    Notes
    -----
    Fitted by :class:`statsmodels.api.Logit` (Newton). Without covariates the group odds ratio
    and its interval are exactly Woolf's. Complete separation raises :class:`ConvergenceError`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["a"] * 25 + ["b"] * 26,
    ...                    "outcome": [1] * 14 + [0] * 11 + [1] * 18 + [0] * 8})
    >>> r = logistic_regression(df, reference="b")
    >>> round(float(r.group_effects["odds_ratio"].iloc[0]), 4)
    0.5657
    """
    import statsmodels.api as sm

    df = check_dataframe(data)
    conf_level = check_conf_level(conf_level)
    if isinstance(covariates, str):
        covariates = (covariates,)
    covariates = tuple(covariates)
    for c in (outcome, group, *covariates):
        if c not in df.columns:
            raise DataValidationError(
                f"column {c!r} is missing; the data has columns {list(map(str, df.columns))}."
            )
    t = count_table(df, outcome=outcome, group=group, reference=reference, missing=missing,
                    higher_is_better=higher_is_better)
    y_raw = df[outcome]
    na = y_raw.isna().to_numpy()
    keep = ~na if missing == "complete_case" else np.ones(len(df), dtype=bool)
    y = np.zeros(len(df), dtype=float)
    if (~na).any():
        y[~na] = binary_values(y_raw[~na], outcome)
    y[na] = 0.0 if higher_is_better else 1.0
    sub = df.loc[keep]
    y = y[keep]
    grp = sub[group].map(label_text)
    ref = t.labels[t.ref]
    X = pd.DataFrame({"const": 1.0}, index=sub.index)
    group_terms = []
    for g in t.labels:
        if g != ref:
            name = f"{group}[{g}]"
            X[name] = (grp == g).astype(float)
            group_terms.append((name, g))
    for c in covariates:
        col = sub[c]
        if col.isna().any():
            raise DataValidationError(f"covariate column {c!r} has missing values.")
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            X[c] = col.astype(float)
        else:
            levels = sorted(col.map(label_text).unique())
            for lev in levels[1:]:
                X[f"{c}[{lev}]"] = (col.map(label_text) == lev).astype(float)
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=100)
        except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
            raise ConvergenceError(
                f"logistic regression could not be fitted ({exc}); a group or covariate level has "
                "only one outcome (separation). "
                "Use odds_ratio(method='fisher') or fewer covariates."
            ) from None
    converged = bool(fit.mle_retvals.get("converged", True))
    z = z_critical(conf_level)
    b, se = fit.params, fit.bse
    table = pd.DataFrame(
        {
            "term": list(X.columns),
            "estimate": b.to_numpy(),
            "se": se.to_numpy(),
            "statistic": fit.tvalues.to_numpy(),
            "p_value": fit.pvalues.to_numpy(),
            "odds_ratio": np.exp(b.to_numpy()),
            "ci_lower": np.exp(b.to_numpy() - z * se.to_numpy()),
            "ci_upper": np.exp(b.to_numpy() + z * se.to_numpy()),
        }
    )
    ge = table.set_index("term").loc[[n for n, _ in group_terms]].reset_index()
    ge.insert(0, "group", [g for _, g in group_terms])
    ge.insert(1, "reference", ref)
    return LogisticRegressionResult(table, ge, ref, covariates, int(len(y)), conf_level, converged)
