"""Everything at once: :func:`compare_rates` and :func:`rates_sensitivity`.

:func:`compare_rates` compares k arms; :func:`rates_sensitivity` compares them under two ways of
handling missing outcomes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..._validation import check_bool, check_choice, check_probability
from ...exceptions import InvalidParameterError, StatisticalWarning
from .._common import check_conf_level
from ._counts import (
    FISHER_ENUM_LIMIT,
    NI_METHODS,
    OR_CI_METHODS,
    PAIRWISE_TESTS,
    RATE_CI_METHODS,
    RD_CI_METHODS,
    RR_CI_METHODS,
    arm_pairs,
    check_margin,
    count_table,
)
from .effects import (
    arm_rates,
    fisher_odds_ratio,
    nnt_from_interval,
    rd_interval,
    rr_interval,
    woolf_interval,
)
from .regression import logistic_regression
from .results import FisherTest, RatesAnalysis, RatesSensitivity
from .significance import (
    adjust_p_values,
    chisq_result,
    fisher_exact_test,
    noninferiority_result,
    pair_p_value,
)

__all__ = ["compare_rates", "rates_sensitivity"]


def compare_rates(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                  labels=None, reference=None, rate_ci: str = "wilson", rd_ci: str = "newcombe",
                  rr_ci: str = "log", or_ci: str = "woolf", conf_level: float = 0.95,
                  margin: float | None = None, higher_is_better: bool = True,
                  ni_method: str = "farrington-manning", ni_alpha: float = 0.025,
                  holm_test: str = "chisq-yates", all_pairs: bool = False,
                  covariates: Sequence[str] = (), zero_correction: str = "haldane",
                  missing=None) -> RatesAnalysis:
    """Rates per arm and every comparison with the reference arm, in one call.

    Parameters
    ----------
    data, outcome, group, events, totals, labels, missing
        As in :func:`arm_rates`; two or more arms.
    reference : str, optional
        Reference arm (default: the first). Differences are group minus reference.
    rate_ci, rd_ci, rr_ci, or_ci : str
        Interval methods: one of :data:`RATE_CI_METHODS` (default Wilson),
        :data:`RD_CI_METHODS` (Newcombe), :data:`RR_CI_METHODS` (log), :data:`OR_CI_METHODS`
        (Woolf).
    conf_level : float in (0, 1), default 0.95
    margin : float, optional
        Non-inferiority margin on the RD scale (negative when ``higher_is_better``); adds a
        Farrington-Manning test per comparison.
    higher_is_better : bool, default True
        Outcome direction (NNTB vs NNTH; sign of the margin; NRI imputation).
    ni_method : {"farrington-manning", "miettinen-nurminen"}
    ni_alpha : float, default 0.025
        One-sided level of the non-inferiority test.
    holm_test : {"chisq-yates", "chisq", "fisher"}, default "chisq-yates"
        Which p-values the Holm adjustment (``p_holm``) is applied to. The family is every pair of
        arms, as R's ``pairwise.prop.test``, also when only the comparisons with the reference are
        listed (with two arms ``p_holm`` is the unadjusted p-value).
    all_pairs : bool, default False
        List every pair of arms instead of each arm against the reference.
    covariates : sequence of str
        With ``data``, also fit :func:`logistic_regression` adjusted for these (adds columns
        ``adjusted_or, adjusted_or_ci_lower, adjusted_or_ci_upper, adjusted_p``).
    zero_correction : {"haldane", "none"}

    Returns
    -------
    RatesAnalysis
        ``comparisons`` has the columns listed there; ``to_json_dict()`` gives the command line's
        JSON object.

    Examples
    --------
    >>> r = compare_rates(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"])
    >>> row = r.comparisons.iloc[0]
    >>> row["group"], row["reference"], round(float(row["risk_difference"]), 4)
    ('pdt', 'fluoxetine', -0.1323)
    >>> round(float(row["p_fisher"]), 4)
    0.3929
    """
    rate_ci = check_choice("rate_ci", rate_ci, RATE_CI_METHODS)
    rd_ci = check_choice("rd_ci", rd_ci, RD_CI_METHODS)
    rr_ci = check_choice("rr_ci", rr_ci, RR_CI_METHODS)
    or_ci = check_choice("or_ci", or_ci, OR_CI_METHODS)
    holm_test = check_choice("holm_test", holm_test, PAIRWISE_TESTS)
    ni_method = check_choice("ni_method", ni_method, NI_METHODS)
    check_choice("zero_correction", zero_correction, ("haldane", "none"))
    check_bool("higher_is_better", higher_is_better)
    check_bool("all_pairs", all_pairs)
    conf_level = check_conf_level(conf_level)
    if margin is not None:
        margin = check_margin(margin, higher_is_better)
        ni_alpha = check_probability("ni_alpha", ni_alpha)
    if covariates and data is None:
        raise InvalidParameterError("`covariates` need patient-level `data`, not counts.")
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    arms = arm_rates(events=t.x, totals=t.n, labels=t.labels, method=rate_ci,
                     conf_level=conf_level)
    rows, nis = [], []
    for g, r in arm_pairs(t, all_pairs):
        x1, n1, x2, n2 = int(t.x[g]), int(t.n[g]), int(t.x[r]), int(t.n[r])
        rd, rd_lo, rd_hi, rd_se = rd_interval(x1, n1, x2, n2, rd_ci, conf_level)
        rr, rr_lo, rr_hi, _, rr_corr = rr_interval(x1, n1, x2, n2, conf_level, zero_correction)
        if or_ci == "woolf":
            orr, or_lo, or_hi, _, or_corr = woolf_interval(x1, n1, x2, n2, conf_level,
                                                           zero_correction)
        else:
            orr, or_lo, or_hi = fisher_odds_ratio(x1, n1, x2, n2, conf_level)
            or_corr = "none (exact)"
        nnt = nnt_from_interval(t.labels[g], t.labels[r], rd, rd_lo, rd_hi, rd_ci, conf_level,
                                higher_is_better)
        row = {
            "group": t.labels[g],
            "reference": t.labels[r],
            "risk_difference": rd,
            "rd_ci_lower": rd_lo,
            "rd_ci_upper": rd_hi,
            "relative_risk": rr,
            "rr_ci_lower": rr_lo,
            "rr_ci_upper": rr_hi,
            "odds_ratio": orr,
            "or_ci_lower": or_lo,
            "or_ci_upper": or_hi,
            "nnt": nnt.nnt,
            "p_chisq": pair_p_value(x1, n1, x2, n2, "chisq"),
            "p_chisq_yates": pair_p_value(x1, n1, x2, n2, "chisq-yates"),
            "p_fisher": pair_p_value(x1, n1, x2, n2, "fisher"),
            "p_holm": math.nan,
            "nnt_kind": nnt.kind,
            "nnt_ci_lower": nnt.ci_lower,
            "nnt_ci_upper": nnt.ci_upper,
            "nnt_text": nnt.text,
            "rd_method": rd_ci,
            "rr_method": rr_ci,
            "or_method": or_ci,
            "rr_correction": rr_corr,
            "or_correction": or_corr,
            "holm_test": holm_test,
        }
        if margin is not None:
            ni = noninferiority_result(t.labels[g], t.labels[r], x1, n1, x2, n2, margin,
                                       higher_is_better, ni_method, ni_alpha)
            nis.append(ni)
            row.update(ni_statistic=ni.statistic, ni_p_value=ni.p_value,
                       ni_conclusion=ni.conclusion)
        rows.append(row)
    comp = pd.DataFrame(rows)
    # Holm over every pair of arms, as R's pairwise.prop.test, whichever comparisons are listed
    family = arm_pairs(t, True)
    adjusted = adjust_p_values([pair_p_value(int(t.x[g]), int(t.n[g]), int(t.x[r]), int(t.n[r]),
                                             holm_test) for g, r in family], "holm")
    holm = {frozenset(pair): p for pair, p in zip(family, adjusted, strict=True)}
    comp["p_holm"] = [holm[frozenset(pair)] for pair in arm_pairs(t, all_pairs)]
    logistic = None
    if covariates:
        logistic = logistic_regression(data, outcome=outcome, group=group, covariates=covariates,
                                       reference=t.labels[t.ref], conf_level=conf_level,
                                       missing=missing, higher_is_better=higher_is_better)
        ge = logistic.group_effects.set_index("group")
        for col, src in (("adjusted_or", "odds_ratio"), ("adjusted_or_ci_lower", "ci_lower"),
                         ("adjusted_or_ci_upper", "ci_upper"), ("adjusted_p", "p_value")):
            comp[col] = [
                float(ge.loc[g, src]) if r == t.labels[t.ref] and g in ge.index else math.nan
                for g, r in zip(comp["group"], comp["reference"], strict=True)
            ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        overall = chisq_result(t.x, t.n, False)
    fisher = (
        fisher_exact_test(events=t.x, totals=t.n, labels=t.labels, reference=t.labels[t.ref],
                          conf_level=conf_level)
        if int(np.prod(t.n[:-1] + 1, dtype=float)) <= FISHER_ENUM_LIMIT
        else FisherTest(math.nan, math.nan, math.nan, math.nan, t.k, conf_level)
    )
    settings = {
        "reference": t.labels[t.ref], "rate_ci": rate_ci, "rd_ci": rd_ci, "rr_ci": rr_ci,
        "or_ci": or_ci, "conf_level": conf_level, "margin": margin,
        "higher_is_better": higher_is_better,
        "ni_method": ni_method if margin is not None else None, "holm_test": holm_test,
        "all_pairs": all_pairs, "missing": missing, "n_missing": list(t.n_missing),
        "covariates": list(covariates),
    }
    return RatesAnalysis(arms, comp, overall, fisher, tuple(nis), logistic, settings)


def rates_sensitivity(data, *, outcome="outcome", group="arm", **kwargs) -> RatesSensitivity:
    """:func:`compare_rates` under non-responder imputation and under complete cases.

    The sensitivity analysis of ``BinaryDesign(missing="both")``: the same comparisons with missing
    outcomes counted as failures and with them left out. Keyword arguments go to
    :func:`compare_rates` (except ``missing``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4,
    ...                    "outcome": [1, 1, np.nan, 0, 1, 0, 0, np.nan]})
    >>> s = rates_sensitivity(df)
    >>> s.summary[["missing", "risk_difference"]].round(4)
             missing  risk_difference
    0            nri          -0.2500
    1  complete_case          -0.3333
    """
    if "missing" in kwargs:
        raise InvalidParameterError(
            "rates_sensitivity() runs both missing-data analyses; drop `missing`.")
    nri = compare_rates(data, outcome=outcome, group=group, missing="nri", **kwargs)
    cc = compare_rates(data, outcome=outcome, group=group, missing="complete_case", **kwargs)
    return RatesSensitivity(nri, cc, tuple(nri.settings["n_missing"]))
