"""Input of the continuous-outcome analyses: two groups, cross-sectional or long data.

These helpers are public within :mod:`workbench.analysis.continuous` (its modules share them) but
not part of the package's documented interface.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..._validation import (
    check_columns,
    check_dataframe,
    check_no_missing,
    check_numeric_column,
    group_labels,
    label_text,
    sorted_levels,
)
from ...exceptions import DataValidationError, InvalidParameterError

__all__ = ["two_levels", "outcome_values", "CrossSection", "cross_section", "t_inference",
           "LongData", "long_data"]


def two_levels(labels: pd.Series, group: str, reference) -> tuple[str, str]:
    """(reference, comparison) labels of a column that must hold exactly two groups."""
    levels = sorted_levels(labels)
    if len(levels) != 2:
        raise DataValidationError(
            f"column {group!r} must have exactly two groups; found {len(levels)} ({levels})."
        )
    if reference is None:
        return levels[0], levels[1]
    ref = label_text(reference)
    if ref not in levels:
        raise InvalidParameterError(f"`reference` must be one of {levels}; got {reference!r}.")
    return ref, [lv for lv in levels if lv != ref][0]


def outcome_values(data: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as float with nan for missing, missing mask); non-numeric entries are an error."""
    raw = data[column]
    missing = raw.isna().to_numpy()
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() & ~missing
    if bad.any():
        i = int(np.argmax(bad))
        raise DataValidationError(
            f"column {column!r} must be numeric; found {raw.iloc[i]!r} (data row {i + 1})."
        )
    arr = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(arr[~missing])):
        raise DataValidationError(f"column {column!r} must hold finite numbers; found inf.")
    return arr, missing


@dataclass(frozen=True)
class CrossSection:
    """Cross-sectional data of two groups, missing outcomes removed."""

    y: np.ndarray
    base: np.ndarray | None
    is_comp: np.ndarray  # bool: other group
    reference: str
    comparison: str
    n_missing: int


def cross_section(data, outcome, group, baseline, reference) -> CrossSection:
    """Validated one-row-per-patient data of two groups, rows with a missing outcome removed."""
    check_dataframe(data)
    check_columns(data, outcome, group, baseline)
    labels = group_labels(data, group)
    ref, comp = two_levels(labels, group, reference)
    y, missing = outcome_values(data, outcome)
    base = check_numeric_column(data, baseline) if baseline is not None else None
    keep = ~missing
    is_comp = (labels == comp).to_numpy()
    for lv, sel in ((ref, ~is_comp), (comp, is_comp)):
        if (keep & sel).sum() < 2:
            raise DataValidationError(
                f"group {lv!r} of column {group!r} has {(keep & sel).sum()} non-missing "
                f"value(s) of {outcome!r}; at least 2 are needed."
            )
    return CrossSection(y[keep], None if base is None else base[keep], is_comp[keep], ref, comp,
                  int(missing.sum()))


def t_inference(est, se, df, alternative, conf_level):
    """(t, p-value, lower, upper) of an estimate with a t distribution on ``df``."""
    t = est / se
    if alternative == "two-sided":
        p = 2 * stats.t.sf(abs(t), df)
        q = stats.t.ppf(0.5 + conf_level / 2, df)
        return t, p, est - q * se, est + q * se
    q = stats.t.ppf(conf_level, df)
    if alternative == "greater":
        return t, stats.t.sf(t, df), est - q * se, math.inf
    return t, stats.t.cdf(t, df), -math.inf, est + q * se


@dataclass(frozen=True)
class LongData:
    frame: pd.DataFrame  # columns: subject, group (labels), visit (float), y (nan = missing), base
    reference: str
    comparison: str
    n_missing: int


def long_data(data, outcome, group, visit, subject, baseline, reference) -> LongData:
    """Validated long data (one row per subject and visit) of two groups."""
    check_dataframe(data)
    check_columns(data, outcome, group, visit, subject, baseline)
    labels = group_labels(data, group)
    ref, comp = two_levels(labels, group, reference)
    check_no_missing(data, subject)
    check_no_missing(data, visit)
    vis = pd.to_numeric(data[visit], errors="coerce")
    if vis.isna().any():
        i = int(np.argmax(vis.isna().to_numpy()))
        raise DataValidationError(
            f"column {visit!r} (the visit) must be numeric, e.g. the week; found "
            f"{data[visit].iloc[i]!r} (data row {i + 1})."
        )
    y, missing = outcome_values(data, outcome)
    frame = pd.DataFrame({"subject": data[subject].map(label_text).to_numpy(),
                          "group": labels.to_numpy(), "visit": vis.to_numpy(dtype=float),
                          "y": y})
    if baseline is not None:
        frame["base"] = check_numeric_column(data, baseline)
    dup = frame.duplicated(["subject", "visit"], keep=False).to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        s, v = frame["subject"].iloc[i], frame["visit"].iloc[i]
        k = int(((frame["subject"] == s) & (frame["visit"] == v)).sum())
        raise DataValidationError(
            f"subject {s!r} (column {subject!r}) has {k} rows at {visit} {v:g}; each subject may "
            "have one row per visit."
        )
    for col, what in (("group", group), ("base", baseline)):
        if col in frame and (frame.groupby("subject")[col].nunique() > 1).any():
            bad = frame.groupby("subject")[col].nunique()
            s = bad.index[bad.to_numpy() > 1][0]
            raise DataValidationError(
                f"column {what!r} must be the same on every row of a subject; subject {s!r} has "
                f"{sorted(frame.loc[frame['subject'] == s, col].unique().tolist())}."
            )
    return LongData(frame, ref, comp, int(missing.sum()))
