"""Helpers shared by the command-line verbs."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import DataValidationError
from ..results import jsonable

if TYPE_CHECKING:  # pandas is imported when a verb reads a data file
    import pandas as pd


def read_csv(path: str, **kwargs) -> pd.DataFrame:
    """Read a CSV for a command, turning file problems into a DataValidationError.

    Keyword arguments go to :func:`pandas.read_csv` (e.g. ``dtype={"arm": str}`` to keep a
    column's values as written).
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise DataValidationError(f"file {path!r} does not exist.")
    try:
        df = pd.read_csv(p, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"file {path!r} is empty.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"file {path!r} is not a readable CSV: {exc}") from None
    if len(df) == 0:
        raise DataValidationError(f"file {path!r} has a header but no rows.")
    return df


def split_list(text: str, name: str, cast=float) -> list:
    """'6,12,24' -> [6.0, 12.0, 24.0], with a clear error naming the option."""
    from ..exceptions import InvalidParameterError

    try:
        return [cast(x) for x in text.split(",") if x.strip() != ""]
    except ValueError:
        raise InvalidParameterError(
            f"`{name}` must be a comma-separated list of numbers; got {text!r}."
        ) from None


def print_json(obj) -> None:
    json.dump(jsonable(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def fmt_number(x, digits: int = 4) -> str:
    """A number for a text report: ``digits`` significant digits, ``NA`` and ``Inf`` spelled out."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    if isinstance(x, float) and math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return f"{x:.{digits}g}"


def fmt_p(p) -> str:
    """A p-value for a text report: 3 significant digits, ``< 1e-16`` below that, ``NA``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    return "< 1e-16" if p < 1e-16 else fmt_number(p, 3)


def rename_options(exc, options: dict[str, str]):
    """``exc`` as an InvalidParameterError naming command-line options.

    The `names` of library parameters are replaced by the command-line options in ``options``
    (``{"allocation_ratio": "--ratio", ...}``).
    """
    import re

    from ..exceptions import InvalidParameterError

    return InvalidParameterError(
        re.sub(r"`([a-z_0-9]+)`", lambda m: f"`{options.get(m.group(1), m.group(1))}`", str(exc))
    )
