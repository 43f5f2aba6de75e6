"""Input checks shared by the public functions.

Each helper raises :class:`~workbench.exceptions.InvalidParameterError` (parameters) or
:class:`~workbench.exceptions.DataValidationError` (data) with a message that names the parameter,
the value received and what is allowed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from .exceptions import DataValidationError, InvalidParameterError

if TYPE_CHECKING:  # pandas is imported by the checks of data frames, when they run
    import pandas as pd


def is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_real(name: str, x, *, allow_none: bool = False):
    if x is None and allow_none:
        return None
    if not is_real(x) or not math.isfinite(float(x)):
        raise InvalidParameterError(f"`{name}` must be a finite number; got {x!r}.")
    return float(x)


def check_probability(name: str, x, *, allow_none: bool = False, closed: bool = False):
    """A probability in (0, 1), or [0, 1] with ``closed=True``."""
    if x is None and allow_none:
        return None
    if not is_real(x) or not (0 <= float(x) <= 1 if closed else 0 < float(x) < 1):
        allowed = "[0, 1]" if closed else "(0, 1)"
        raise InvalidParameterError(f"`{name}` must be in {allowed}; got {x!r}.")
    return float(x)


def check_positive(name: str, x, *, allow_none: bool = False, allow_zero: bool = False,
                    allow_inf: bool = False):
    if x is None and allow_none:
        return None
    ok = is_real(x) and not math.isnan(float(x))
    if ok:
        v = float(x)
        ok = (v >= 0 if allow_zero else v > 0) and (allow_inf or math.isfinite(v))
    if not ok:
        allowed = ">= 0" if allow_zero else "> 0"
        raise InvalidParameterError(f"`{name}` must be a finite number {allowed}; got {x!r}.")
    return float(x)


def check_int(name: str, x, *, minimum: int | None = None, allow_none: bool = False):
    if x is None and allow_none:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Integral | float) or (
        isinstance(x, float) and not x.is_integer()
    ):
        raise InvalidParameterError(f"`{name}` must be an integer; got {x!r}.")
    x = int(x)
    if minimum is not None and x < minimum:
        raise InvalidParameterError(f"`{name}` must be an integer >= {minimum}; got {x!r}.")
    return x


def check_count(name: str, x, *, minimum: float = 0, allow_none: bool = False,
                strict: bool = True):
    """A count of patients or events: a whole number (``10`` or ``10.0``), ``> minimum``.

    ``strict=False`` allows ``>= minimum``. A fractional count (``10.5``) is refused rather than
    rounded: the power of 10.5 patients printed as 11 would contradict itself. Returned as a float
    (the closed forms compute with floats).

    >>> check_count("n1", 10.0)
    10.0
    >>> check_count("n1", 10.5)
    Traceback (most recent call last):
    ...
    workbench.exceptions.InvalidParameterError: `n1` must be a whole number > 0 (a count); got 10.5.
    """
    if x is None and allow_none:
        return None
    relation = ">" if strict else ">="
    ok = is_real(x) and math.isfinite(float(x)) and float(x).is_integer()
    if ok:
        ok = float(x) > minimum if strict else float(x) >= minimum
    if not ok:
        raise InvalidParameterError(
            f"`{name}` must be a whole number {relation} {minimum:g} (a count); got {x!r}."
        )
    return float(x)


def check_choice(name: str, x, choices: Iterable[str]):
    choices = tuple(choices)
    if x not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InvalidParameterError(f"`{name}` must be one of {allowed}; got {x!r}.")
    return x


def check_alternative(alternative: str) -> str:
    return check_choice("alternative", alternative, ("two-sided", "greater", "less"))


def check_increasing_values(name: str, values: Sequence[float] | np.ndarray, *,
                            strictly: bool = True) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    diffs = np.diff(arr)
    if arr.ndim != 1 or np.any(diffs <= 0 if strictly else diffs < 0):
        kind = "strictly increasing" if strictly else "non-decreasing"
        raise InvalidParameterError(f"`{name}` must be {kind}; got {arr.tolist()!r}.")
    return arr


def check_dataframe(df, name: str = "data") -> pd.DataFrame:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"`{name}` must be a pandas DataFrame; got {type(df).__name__}.")
    if len(df) == 0:
        raise DataValidationError(f"`{name}` is empty: it has no rows.")
    return df


def check_columns(df: pd.DataFrame, *columns: str | None) -> None:
    """Every named column exists (``None`` entries are skipped)."""
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise DataValidationError(
            f"column {missing[0]!r} is missing; the data has columns {list(map(str, df.columns))}."
        )


def check_no_missing(df: pd.DataFrame, column: str) -> None:
    n = int(df[column].isna().sum())
    if n:
        rows = list(df.index[df[column].isna()][:5])
        raise DataValidationError(
            f"column {column!r} has {n} missing value(s) (rows {rows}); "
            "remove or impute them first."
        )


def check_numeric_column(df: pd.DataFrame, column: str, *, nonnegative: bool = False,
                    finite: bool = True) -> np.ndarray:
    """The column as float, with clear errors for missing, non-numeric or negative values."""
    import pandas as pd

    check_no_missing(df, column)
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna()
    if bad.any():
        example = df[column][bad].iloc[0]
        raise DataValidationError(
            f"column {column!r} must be numeric; found {example!r} (row {df.index[bad][0]})."
        )
    arr = values.to_numpy(dtype=float)
    if finite and not np.all(np.isfinite(arr)):
        raise DataValidationError(f"column {column!r} must hold finite numbers; found inf.")
    if nonnegative and np.any(arr < 0):
        i = int(np.argmax(arr < 0))
        raise DataValidationError(
            f"column {column!r} must be >= 0; found {float(arr[i])!r} (row {df.index[i]})."
        )
    return arr


_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}


def check_binary_column(df: pd.DataFrame, column: str) -> np.ndarray:
    """A 0/1 or true/false column as an int array (1 = event / success)."""
    check_no_missing(df, column)
    s = df[column]
    if s.dtype == bool:
        return s.to_numpy(dtype=int)
    out = np.empty(len(s), dtype=int)
    for i, v in enumerate(s.to_numpy()):
        key = str(v).strip().lower()
        if isinstance(v, bool | np.bool_):
            out[i] = int(v)
        elif key in _TRUE:
            out[i] = 1
        elif key in _FALSE:
            out[i] = 0
        else:
            v = v.item() if isinstance(v, np.generic) else v
            raise DataValidationError(
                f"column {column!r} must be 0/1 or true/false; found {v!r} (row {s.index[i]})."
            )
    return out


def sorted_levels(labels) -> list[str]:
    """Distinct group labels in R's ``factor`` order.

    Numerically when every label is a number (groups 2 and 10: 2 first), else as strings.

    >>> sorted_levels(["10", "2", "2"]), sorted_levels(["b", "a"])
    (['2', '10'], ['a', 'b'])
    """
    import pandas as pd

    levels = list(pd.unique(pd.Series(list(labels), dtype=object)))
    try:
        numbers = [float(v) for v in levels]
    except (TypeError, ValueError):
        return sorted(levels)
    if not all(math.isfinite(x) for x in numbers):
        return sorted(levels)
    return [v for _, v in sorted(zip(numbers, levels, strict=True))]


def group_labels(df: pd.DataFrame, column: str, *, min_groups: int = 2) -> pd.Series:
    """Group column as strings, with at least ``min_groups`` distinct levels."""
    check_no_missing(df, column)
    labels = df[column].map(label_text)
    levels = sorted_levels(labels.unique())
    if len(levels) < min_groups:
        raise DataValidationError(
            f"column {column!r} must have at least {min_groups} groups; found {len(levels)} "
            f"({levels})."
        )
    return labels


def label_text(v) -> str:
    """A group value as the string a user typed in the CSV (1.0 -> '1')."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def as_generator(rng) -> np.random.Generator:
    """Normalise ``rng`` (Generator, int seed, SeedSequence or None) to a Generator."""
    if isinstance(rng, bool):
        raise InvalidParameterError(f"`rng` must be a Generator, an int seed or None; got {rng!r}.")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"`rng` must be a numpy Generator, a non-negative int seed or None; got {rng!r}."
        ) from exc


def seed_entropy(rng) -> int:
    """A reproducible root entropy (an int) from ``rng``.

    ``rng`` is an int seed, a Generator (one draw), a SeedSequence or None (fresh entropy). The one
    seed normaliser of chunked Monte Carlo work: streams are then children of
    ``SeedSequence(entropy)``, whatever the number of workers.
    """
    if isinstance(rng, bool):
        raise InvalidParameterError(f"`rng` must be a Generator, an int seed or None; got {rng!r}.")
    if rng is None:
        # a SeedSequence made without entropy draws an int (numpy types it int | sequence | None)
        return int(cast(int, np.random.SeedSequence().entropy))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(2, np.uint64)[0])
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63))
    if isinstance(rng, int | np.integer) and rng >= 0:
        return int(rng)
    raise InvalidParameterError(
        f"`rng` must be a numpy Generator, a non-negative int seed or None; got {rng!r}."
    )


def type_name(value) -> str:
    """The name of ``value``'s class, for error messages ("got a list")."""
    return type(value).__name__


def check_bool(name: str, value) -> bool:
    """A flag: True or False (numpy booleans too), nothing else."""
    if not isinstance(value, bool | np.bool_):
        raise InvalidParameterError(f"`{name}` must be True or False; got {value!r}.")
    return bool(value)
