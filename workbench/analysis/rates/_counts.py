"""Input of the rates analysis: a DataFrame or counts per arm, and the checks every function shares.

These helpers are public within :mod:`workbench.analysis.rates` (its modules share them) but not
part of the package's documented interface.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._validation import (
    check_choice,
    check_dataframe,
    data_rows,
    is_real,
    label_text,
    sorted_levels,
)
from ...exceptions import DataValidationError, InvalidParameterError

__all__ = [
    "RATE_CI_METHODS", "RD_CI_METHODS", "RR_CI_METHODS", "OR_CI_METHODS", "PAIRWISE_TESTS",
    "NI_METHODS", "MISSING", "HALDANE", "FISHER_ENUM_LIMIT", "CountTable", "count_table",
    "binary_values", "two_arm_counts", "arm_pairs",
    "check_margin",
]

#: interval methods for a single rate
RATE_CI_METHODS = ("wilson", "clopper-pearson", "wilson-cc", "agresti-coull", "jeffreys", "wald")
#: interval methods for the risk difference
RD_CI_METHODS = ("newcombe", "wald", "wald-cc", "farrington-manning", "miettinen-nurminen")
#: interval methods for the relative risk
RR_CI_METHODS = ("log",)
#: interval methods for the odds ratio
OR_CI_METHODS = ("woolf", "fisher")
#: tests the pairwise comparisons and Holm adjustment can use
PAIRWISE_TESTS = ("chisq-yates", "chisq", "fisher")
#: score tests for non-inferiority and equivalence
NI_METHODS = ("farrington-manning", "miettinen-nurminen")
#: handling of missing outcomes in a DataFrame
MISSING = ("nri", "complete_case")

#: correction note of a table with a zero cell
HALDANE = "haldane-anscombe: 0.5 added to all four cells (a cell was zero)"
#: largest number of tables Fisher's exact test for k arms enumerates
FISHER_ENUM_LIMIT = 5_000_000


# --------------------------------------------------------------------------------------------
# input: a DataFrame or counts
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountTable:
    """Events and patients per arm, the reference arm and the missing outcomes per arm."""

    labels: tuple[str, ...]
    x: np.ndarray  # events per arm (int)
    n: np.ndarray  # patients per arm (int)
    ref: int  # index of the reference arm
    n_missing: tuple[int, ...] = ()  # missing outcomes per arm (DataFrame input)
    missing: str | None = None

    @property
    def k(self) -> int:
        return len(self.labels)

    def pair(self, g: int, r: int | None = None) -> CountTable:
        r = self.ref if r is None else r
        idx = [g, r]
        return CountTable(
            tuple(self.labels[i] for i in idx), self.x[idx], self.n[idx], 1,
            tuple(self.n_missing[i] for i in idx) if self.n_missing else (), self.missing,
        )

    @property
    def others(self) -> list[int]:
        return [i for i in range(self.k) if i != self.ref]


def _int_counts(name: str, values) -> np.ndarray:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray | pd.Series):
        raise InvalidParameterError(
            f"`{name}` must be a sequence of counts, one per arm; got {values!r}.")
    out = []
    for i, v in enumerate(list(values)):
        if isinstance(v, bool | np.bool_) or not is_real(v) or not math.isfinite(float(v)) or (
            float(v) != int(float(v))
        ):
            raise InvalidParameterError(f"`{name}[{i}]` must be a whole number; got {v!r}.")
        out.append(int(float(v)))
    return np.asarray(out, dtype=np.int64)


def count_table(data=None, *, outcome="outcome", group="arm", events=None, totals=None, labels=None,
                reference=None, missing=None, higher_is_better=True, min_arms=2) -> CountTable:
    """Turn the accepted inputs into counts, with clear errors."""
    if data is not None and (events is not None or totals is not None):
        raise InvalidParameterError("give either `data` or `events` with `totals`, not both.")
    if data is None:
        if events is None or totals is None:
            raise InvalidParameterError(
                "give `data` (a DataFrame with outcome and group columns) or both `events` and "
                "`totals` (one count per arm)."
            )
        x = _int_counts("events", events)
        n = _int_counts("totals", totals)
        if len(x) != len(n):
            raise InvalidParameterError(
                "`events` and `totals` must have one count per arm each; "
                f"got {len(x)} and {len(n)}."
            )
        for i in range(len(x)):
            if n[i] < 1:
                raise InvalidParameterError(f"`totals[{i}]` must be at least 1; got {n[i]}.")
            if x[i] < 0:
                raise InvalidParameterError(f"`events[{i}]` must be >= 0; got {x[i]}.")
            if x[i] > n[i]:
                raise InvalidParameterError(
                    f"`events[{i}]` ({x[i]}) must not exceed `totals[{i}]` ({n[i]})."
                )
        if labels is None:
            labs = tuple(f"arm{i + 1}" for i in range(len(x)))
        else:
            if isinstance(labels, str):
                raise InvalidParameterError(
                    f"`labels` must be a sequence of names; got {labels!r}.")
            labs = tuple(str(v) for v in labels)
            if len(labs) != len(x):
                raise InvalidParameterError(
                    f"`labels` must give one name per arm ({len(x)}); "
                    f"got {len(labs)}: {list(labs)}."
                )
            if len(set(labs)) != len(labs):
                raise InvalidParameterError(f"`labels` must be unique; got {list(labs)}.")
        nmiss: tuple[int, ...] = ()
    else:
        df = check_dataframe(data)
        for role, col in (("outcome", outcome), ("group", group)):
            if col not in df.columns:
                raise DataValidationError(
                    f"`{role}` column {col!r} is missing; the data has columns "
                    f"{list(map(str, df.columns))}."
                )
        if missing is not None:
            check_choice("missing", missing, MISSING)
        if df[group].isna().any():
            raise DataValidationError(f"column {group!r} has missing values (empty or NaN), in "
                                      f"{data_rows(df[group].isna())}.")
        grp = df[group].map(label_text)
        y = df[outcome]
        na = y.isna().to_numpy()
        if na.any() and missing is None:
            raise DataValidationError(
                f"column {outcome!r} has {int(na.sum())} missing value(s), in {data_rows(na)}; "
                "pass "
                "missing='nri' (count them as failures) or missing='complete_case'."
            )
        values = np.zeros(len(df), dtype=int)
        if (~na).any():
            values[~na] = binary_values(y[~na], outcome)
        if na.any():
            if missing == "nri":
                values[na] = 0 if higher_is_better else 1
                keep = np.ones(len(df), dtype=bool)
            else:
                keep = ~na
        else:
            keep = np.ones(len(df), dtype=bool)
        levels = sorted_levels(grp.unique())
        labs = tuple(levels)
        x = np.array([int(values[keep & (grp == g).to_numpy()].sum()) for g in levels],
                     dtype=np.int64)
        n = np.array([int((keep & (grp == g).to_numpy()).sum()) for g in levels], dtype=np.int64)
        nmiss = tuple(int((na & (grp == g).to_numpy()).sum()) for g in levels)
        if np.any(n == 0):
            g = levels[int(np.argmax(n == 0))]
            raise DataValidationError(
                f"group {g!r} of column {group!r} has no patient with an observed {outcome!r}."
            )
    if len(labs) < min_arms:
        what = "group" if data is not None else "arm"
        raise (DataValidationError if data is not None else InvalidParameterError)(
            f"need at least {min_arms} {what}s to compare; got {len(labs)} ({list(labs)})."
        )
    if reference is None:
        ref = 0
    else:
        ref_label = label_text(reference)
        if ref_label not in labs:
            raise InvalidParameterError(
                f"`reference` must be one of {list(labs)}; got {reference!r}.")
        ref = labs.index(ref_label)
    return CountTable(labs, x, n, ref, nmiss, missing)


def binary_values(s: pd.Series, column: str) -> np.ndarray:
    """0/1 values of an outcome column (0/1, true/false or their spellings), or an error."""
    if s.dtype == bool:
        return s.to_numpy(dtype=int)
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float)
        bad = ~np.isin(v, (0.0, 1.0))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataValidationError(
                f"column {column!r} must be 0/1 or true/false; found {label_text(float(v[i]))} "
                f"({data_rows(bad, 1)})."
            )
        return v.astype(int)
    out = np.empty(len(s), dtype=int)
    for i, v in enumerate(s.to_numpy()):
        key = str(v).strip().lower()
        if isinstance(v, bool | np.bool_):
            out[i] = int(v)
        elif key in ("1", "1.0", "true"):
            out[i] = 1
        elif key in ("0", "0.0", "false"):
            out[i] = 0
        else:
            raise DataValidationError(
                f"column {column!r} must be 0/1 or true/false; found {str(v)!r} (data row {i + 1})."
            )
    return out


def two_arm_counts(t: CountTable, what: str) -> tuple[int, int, int, int]:
    """(x_group, n_group, x_reference, n_reference) of a two-arm table."""
    if t.k != 2:
        raise InvalidParameterError(
            f"{what} compares two arms; got {t.k} ({list(t.labels)}). Use compare_rates() for "
            "k arms, or pass the two arms' counts."
        )
    g = 1 - t.ref
    return int(t.x[g]), int(t.n[g]), int(t.x[t.ref]), int(t.n[t.ref])


def arm_pairs(t: CountTable, all_pairs: bool) -> list[tuple[int, int]]:
    """(group, reference) index pairs: every pair of arms, or each arm against the reference."""
    if all_pairs:
        return [(j, i) for i in range(t.k) for j in range(i + 1, t.k)]
    return [(g, t.ref) for g in t.others]


def check_margin(margin, higher_is_better: bool) -> float:
    """A non-inferiority margin on the risk-difference scale, of the sign the direction needs."""
    if not is_real(margin) or not math.isfinite(float(margin)) or not 0 < abs(float(margin)) < 1:
        raise InvalidParameterError(
            f"`margin` must be a risk difference with 0 < |margin| < 1; got {margin!r}."
        )
    m = float(margin)
    if higher_is_better and m >= 0:
        raise InvalidParameterError(
            f"`margin` must be negative when higher rates are better (non-inferiority: group minus "
            f"reference > margin); got {margin!r}. For a bad outcome pass higher_is_better=False."
        )
    if not higher_is_better and m <= 0:
        raise InvalidParameterError(
            f"`margin` must be positive when lower rates are better (non-inferiority: group minus "
            f"reference < margin); got {margin!r}."
        )
    return m
