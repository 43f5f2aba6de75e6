"""Everything at once: :func:`analyze_continuous` (used by ``workbench continuous``)."""

from __future__ import annotations

import pandas as pd

from ..._validation import check_columns, check_dataframe, check_numeric_column, group_labels
from ...exceptions import DataValidationError
from ._data import long_data, outcome_values, two_levels
from .endpoint import ancova, endpoint_rows, hedges_g, t_test
from .repeated import mmrm
from .results import ContinuousAnalysis

__all__ = ["analyze_continuous"]


def analyze_continuous(data: pd.DataFrame, *, outcome: str, group: str,
                       baseline: str | None = None, visit: str | None = None,
                       subject: str | None = None, equal_var: bool = False,
                       df_method: str = "residual", conf_level: float = 0.95,
                       reference=None) -> ContinuousAnalysis:
    """t-test, ANCOVA, Hedges' g on the end point and, for long data, the MMRM.

    Parameters
    ----------
    data : DataFrame
        One row per patient, or long data (one row per subject and visit) with ``visit``.
    outcome, group : str
    baseline : str, optional
        Baseline covariate for the ANCOVA and the MMRM (no missing values).
    visit : str, optional
        With ``visit``, the end-point analyses use the rows at the last visit, and with
        ``subject`` too the MMRM is fitted on all visits.
    subject : str, optional
    equal_var : bool, default False
        Student instead of Welch t-test.
    df_method : {"residual", "satterthwaite"}
        MMRM degrees of freedom.
    conf_level : float in (0, 1)
    reference : optional

    Returns
    -------
    ContinuousAnalysis

    Examples
    --------
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_trial
    >>> d = simulate_trial(load_design("t7"), rng=11)
    >>> res = analyze_continuous(d, outcome="hamd", group="arm", baseline="baseline",
    ...                          visit="week", subject="subject")
    >>> sorted(res.to_json())
    ['ancova', 'hedges_g', 'mmrm', 'ttest']
    >>> res.n_endpoint_missing
    7
    """
    check_dataframe(data)
    check_columns(data, outcome, group, baseline, visit, subject)
    end = data
    at = None
    n_end_missing = 0
    if visit is not None:
        if subject is not None:
            long_data(data, outcome, group, visit, subject, baseline, reference)  # validate
        else:  # the rows before the last visit are not analysed, but must be valid too
            two_levels(group_labels(data, group), group, reference)
            outcome_values(data, outcome)
            if baseline is not None:
                check_numeric_column(data, baseline)
        end = endpoint_rows(data, visit=visit)
        at = float(pd.to_numeric(end[visit]).iloc[0])
        n_end_missing = int(end[outcome].isna().sum())
        if subject is not None:
            n_end_missing += int(data[subject].nunique() - end[subject].nunique())
    elif subject is not None and data[subject].duplicated().any():
        s = data[subject][data[subject].duplicated()].iloc[0]
        raise DataValidationError(
            f"subject {s!r} has more than one row; for long data give the visit column too."
        )
    tt = t_test(end, outcome=outcome, group=group, equal_var=equal_var, conf_level=conf_level,
                reference=reference)
    g = hedges_g(end, outcome=outcome, group=group, conf_level=conf_level, reference=reference)
    an = None
    if baseline is not None:
        an = ancova(end, outcome=outcome, group=group, baseline=baseline,
                    conf_level=conf_level, reference=reference)
    mm = None
    if visit is not None and subject is not None:
        mm = mmrm(data, outcome=outcome, group=group, visit=visit, subject=subject,
                  baseline=baseline, df_method=df_method, conf_level=conf_level,
                  reference=reference)
    settings = {"outcome": outcome, "group": group, "baseline": baseline, "visit": visit,
                "subject": subject, "reference": tt.reference, "comparison": tt.comparison,
                "equal_var": equal_var, "df_method": df_method, "conf_level": conf_level}
    return ContinuousAnalysis(ttest=tt, hedges_g=g, ancova=an, mmrm=mm, endpoint_visit=at,
                              n_endpoint_missing=n_end_missing, settings=settings)
