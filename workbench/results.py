"""Result objects shared by the analysis, power and design layers.

Every result is a frozen dataclass with unrounded fields, a ``summary`` property returning a tidy
:class:`pandas.DataFrame` (snake_case columns such as ``estimate, ci_lower, ci_upper, statistic,
p_value, method, n``), a ``to_dict()`` that is JSON-serialisable, and an HTML representation for
notebooks. Rounding only happens on display.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas is imported when a table is made, not to import this module
    import pandas as pd

__all__ = ["Result", "jsonable"]


def jsonable(value: Any) -> Any:
    """Convert numpy scalars, arrays, DataFrames and non-finite floats to plain JSON values.

    NaN becomes ``None`` (JSON null); +/-inf become the strings ``"Inf"`` / ``"-Inf"``, the
    convention of the R reference files.

    >>> jsonable({"a": np.float64(1.5), "b": [np.nan, np.inf]})
    {'a': 1.5, 'b': [None, 'Inf']}
    """
    if isinstance(value, Result):
        return value.to_dict()
    pdm: Any = sys.modules.get("pandas")  # a pandas object exists only once pandas is imported
    if pdm is not None and isinstance(value, pdm.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if pdm is not None and isinstance(value, pdm.Series):
        return jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        return v
    if pdm is not None and (value is pdm.NA or value is pdm.NaT):
        return None
    return value


class Result:
    """Mixin for frozen result dataclasses: ``summary``, ``to_dict`` and notebook display.

    Subclasses are ``@dataclass(frozen=True)`` and implement the ``summary`` property.
    """

    _title = "Result"

    @property
    def summary(self) -> pd.DataFrame:  # pragma: no cover - every subclass overrides
        """The result as a tidy DataFrame (each subclass documents its columns)."""
        raise NotImplementedError

    def _one_row(self, *names: str) -> pd.DataFrame:
        """A one-row summary of the named fields, in the order given."""
        import pandas as pd

        return pd.DataFrame([{name: getattr(self, name) for name in names}])

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dictionary (see :func:`jsonable`)."""
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = jsonable(getattr(self, f.name))
        return out

    def _repr_html_(self) -> str:
        table = self.summary.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="–")
        return f"<div><strong>{self._title}</strong>{table}</div>"

    def __str__(self) -> str:
        import pandas as pd

        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
            return f"{self._title}\n{self.summary.to_string(index=False)}"
