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


def data_rows(mask, limit: int = 5) -> str:
    """The 1-based data row numbers where ``mask`` is true, for an error message.

    Rows are counted as a spreadsheet counts them below the header; the first ``limit`` are
    listed, then how many more.

    >>> data_rows([False, True, False, True])
    'data rows 2, 4'
    >>> data_rows([True] * 8, limit=3)
    'data rows 1, 2, 3 and 5 more'
    """
    where = np.flatnonzero(np.asarray(mask, dtype=bool)) + 1
    shown = ", ".join(str(int(i)) for i in where[:limit])
    more = f" and {len(where) - limit} more" if len(where) > limit else ""
    return f"data row{'s' if len(where) > 1 else ''} {shown}{more}"


def check_no_missing(df: pd.DataFrame, column: str) -> None:
    """No empty or NaN value in the column; the error names the column and the data rows."""
    na = df[column].isna().to_numpy()
    if na.any():
        raise DataValidationError(
            f"column {column!r} has {int(na.sum())} missing value(s) (empty or NaN), in "
            f"{data_rows(na)}; remove or impute them first."
        )


def check_numeric_column(df: pd.DataFrame, column: str, *, nonnegative: bool = False,
                         finite: bool = True) -> np.ndarray:
    """The column as float, with clear errors for missing, non-numeric or negative values."""
    import pandas as pd

    check_no_missing(df, column)
    raw = df[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        arr = raw.to_numpy(dtype=float)
    else:
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise DataValidationError(
                f"column {column!r} must be numeric; found {raw.iloc[i]!r} ({data_rows(bad, 1)})."
            )
        arr = values.to_numpy(dtype=float)
    if finite and not np.all(np.isfinite(arr)):
        raise DataValidationError(
            f"column {column!r} must hold finite numbers; found inf "
            f"({data_rows(~np.isfinite(arr), 1)}).")
    if nonnegative and np.any(arr < 0):
        i = int(np.argmax(arr < 0))
        raise DataValidationError(
            f"column {column!r} must be >= 0; found {float(arr[i])!r} "
            f"({data_rows(arr < 0, 1)})."
        )
    return arr


_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}


def check_binary_column(df: pd.DataFrame, column: str) -> np.ndarray:
    """A 0/1 or true/false column as an int array (1 = event / success)."""
    import pandas as pd

    check_no_missing(df, column)
    s = df[column]
    if s.dtype == bool:
        return s.to_numpy(dtype=int)
    # each distinct value is read once; the first bad one is the first bad row
    codes, uniques = pd.factorize(s)
    coded = np.empty(len(uniques), dtype=int)
    for j, v in enumerate(uniques):
        key = str(v).strip().lower()
        if isinstance(v, bool | np.bool_):
            coded[j] = int(v)
        elif key in _TRUE:
            coded[j] = 1
        elif key in _FALSE:
            coded[j] = 0
        else:
            v = v.item() if isinstance(v, np.generic) else v
            raise DataValidationError(
                f"column {column!r} must be 0/1 or true/false; found {v!r} "
                f"({data_rows(codes == j, 1)})."
            )
    return coded[codes]


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
    import pandas as pd

    codes, levels = group_codes(df, column, min_groups=min_groups)
    return pd.Series(np.asarray(levels, dtype=object)[codes], index=df.index, dtype=object)


def group_codes(df: pd.DataFrame, column: str, *,
                min_groups: int = 2) -> tuple[np.ndarray, tuple[str, ...]]:
    """``(codes, levels)``: group labels as strings and each row's index into them.

    The levels are in :func:`sorted_levels` order; at least ``min_groups`` of them and no missing
    value are required.

    >>> import pandas as pd
    >>> group_codes(pd.DataFrame({"g": [2, 10, 2]}), "g")
    (array([0, 1, 0]), ('2', '10'))
    """
    import pandas as pd

    check_no_missing(df, column)
    raw, uniques = pd.factorize(df[column])
    text = [label_text(v) for v in uniques]
    levels = tuple(sorted_levels(dict.fromkeys(text)))
    if len(levels) < min_groups:
        raise DataValidationError(
            f"column {column!r} must have at least {min_groups} groups; found {len(levels)} "
            f"({list(levels)})."
        )
    where = {lv: i for i, lv in enumerate(levels)}
    return np.array([where[t] for t in text], dtype=np.intp)[raw], levels


def text_labels(values: pd.Series) -> pd.Series:
    """``values`` as the strings a user typed (:func:`label_text`), each distinct value once.

    >>> import pandas as pd
    >>> text_labels(pd.Series([1.0, 2.0, 1.0])).tolist()
    ['1', '2', '1']
    """
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = np.array([label_text(v) for v in uniques], dtype=object)
    return pd.Series(text[codes], index=values.index, dtype=object)


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
