"""Result objects shared by the analysis, power and design layers.

Every result is a frozen dataclass with unrounded fields, a ``summary`` property returning a tidy
:class:`pandas.DataFrame` (snake_case columns such as ``estimate, ci_lower, ci_upper, statistic,
p_value, method, n``), a ``to_dict()`` that is JSON-serialisable, and an HTML representation for
notebooks. Rounding only happens on display.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import math
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas is imported when a table is made, not to import this module
    import pandas as pd

__all__ = ["Result", "jsonable", "MISSING", "LABELS", "column_kind", "column_label", "formatter",
           "format_p_value", "format_percent", "format_count", "format_number", "format_table",
           "styled_table", "table_html", "table_text"]


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

    def _display_tables(self) -> list[tuple[str | None, pd.DataFrame]]:
        """The tables shown to people, each with an optional caption (default: ``summary``)."""
        return [(None, self.summary)]

    def _display_kinds(self) -> dict[str, str] | None:
        """Columns formatted otherwise than their names say (see :func:`column_kind`)."""
        return None

    def _display_notes(self) -> list[str]:
        """Sentences shown under the tables (tests, methods)."""
        return []

    def _display_parts(self) -> tuple[list[tuple[str | None, pd.DataFrame]], list[str],
                                      float | None]:
        """Tables, notes and confidence level shown to people.

        A column holding one text (or one confidence level) for every row leaves the table for
        the notes (or the interval labels).
        """
        tables, notes = [], list(self._display_notes())
        level = getattr(self, "conf_level", None)
        settings = getattr(self, "settings", None)
        if level is None and isinstance(settings, dict):
            level = settings.get("conf_level")
        level = float(level) if isinstance(level, float) and 0 < level < 1 else None
        for caption, df in self._display_tables():
            if "conf_level" in df.columns and len(df) > 0 and df["conf_level"].nunique() == 1:
                level = level or float(df["conf_level"].iloc[0])
                df = df.drop(columns="conf_level")
            for col in ("method", "test", "conf_type"):
                if col in df.columns and len(df) > 0 and df[col].nunique(dropna=False) == 1 \
                        and isinstance(df[col].iloc[0], str):
                    note = f"{column_label(col)}: {df[col].iloc[0]}."
                    if note not in notes:
                        notes.append(note)
                    df = df.drop(columns=col)
            tables.append((caption, df))
        return tables, notes, level

    def _repr_html_(self) -> str:
        tables, notes, level = self._display_parts()
        parts = [f'<div class="wb-result"><p><strong>{html.escape(self._title)}</strong></p>']
        kinds = self._display_kinds()
        parts += [table_html(df, caption=caption, conf_level=level, kinds=kinds)
                  for caption, df in tables]
        parts += [f'<p style="font-size: 0.9em; margin: 0.2em 0;">{html.escape(n)}</p>'
                  for n in notes]
        return "".join(parts) + "</div>"

    def __str__(self) -> str:
        tables, notes, level = self._display_parts()
        parts = [self._title]
        for caption, df in tables:
            parts += ([caption] if caption else []) + [
                table_text(df, conf_level=level, kinds=self._display_kinds())]
        return "\n".join(parts + notes)


# --------------------------------------------------------------------------------------------------
# Display: tables formatted for people
# --------------------------------------------------------------------------------------------------

#: what a value that does not exist (NaN, None) is shown as
MISSING = "-"

#: column name -> label for people; names not listed are spelled out by :func:`column_label`
LABELS: dict[str, str] = {
    "group": "Group", "reference": "Reference", "arm": "Arm", "comparison": "Comparison",
    "n": "N", "n1": "N (experimental)", "n2": "N (control)", "n_total": "Total N",
    "n_per_arm": "N per arm", "n_risk": "At risk", "n_event": "Events", "n_censor": "Censored",
    "n_reps": "Replicates", "n_missing": "Missing", "k": "Studies",
    "events": "Events", "rate": "Rate", "rate_nri": "Rate (NRI)",
    "rate_complete_case": "Rate (complete cases)",
    "estimate": "Estimate", "se": "SE", "se_log": "SE (log)", "statistic": "Statistic", "df": "df",
    "p_value": "p", "p_chisq": "p (chi-square)", "p_chisq_yates": "p (chi-square, Yates)",
    "p_fisher": "p (Fisher)", "p_holm": "p (Holm)", "p_adjusted": "p (adjusted)",
    "p_value_one_sided": "p (one-sided)", "p_value_two_sided": "p (two-sided)",
    "q_p": "p (Q)", "p_between": "p (between)",
    "risk_difference": "Risk difference", "relative_risk": "Relative risk",
    "odds_ratio": "Odds ratio", "hazard_ratio": "Hazard ratio", "nnt": "NNT", "nnt_text": "NNT",
    "survival": "Survival", "cumulative_incidence": "Cumulative incidence",
    "median": "Median", "rmst": "RMST", "difference": "Difference", "ratio": "Ratio",
    "time": "Time", "tau": "Horizon", "power": "Power", "mcse": "MCSE",
    "closed_form_power": "Power (closed form)", "type1_error": "Type I error",
    "n_total_for_80pct": "Total N for 80% power", "method": "Method", "test": "Test",
    "alpha": "Alpha", "conf_level": "Confidence level", "tau2": "tau²", "i2": "I² (%)",
    "h2": "H²", "q": "Q", "coef": "Coefficient", "term": "Term", "label": "Label",
    "level": "Group", "last_time": "Last observed time",
    "p1": "p (experimental)", "p2": "p (control)", "p_group": "Rate (group)",
    "p_reference": "Rate (reference)", "information_rate": "Information",
    "allocation_ratio": "Allocation ratio", "accrual_time": "Accrual time",
    "follow_up": "Follow-up", "dropout_probability": "Loss to follow-up",
    "dropout_rate": "Drop-out hazard", "coverage": "Coverage", "p": "Probability",
    "cure_fraction": "Cured fraction", "distribution": "Distribution",
    "p_event1": "P(event), experimental", "p_event2": "P(event), control",
    "n1_exact": "N (experimental), unrounded", "n2_exact": "N (control), unrounded",
    "events_exact": "Events, unrounded", "n_total_exact": "Total N, unrounded",
    "mean_events": "Events (mean)", "k_mean": "Studies (mean)", "mc_se": "MCSE",
    "coverage_mc_se": "Coverage MCSE", "egger_rejection": "Egger test rejections",
    "n_valid": "Valid replicates", "lost_to_follow_up": "Lost to follow-up",
    "subjects1": "Subjects (experimental)", "subjects2": "Subjects (control)",
    "p_value_bound": "Nominal p bound", "ahr": "Average hazard ratio",
    "at": "Time of the probabilities",
}

_WORDS = {"ci": "CI", "rmst": "RMST", "nnt": "NNT", "hr": "HR", "rd": "RD", "rr": "RR", "or": "OR",
          "se": "SE", "mcse": "MCSE", "nri": "NRI", "fm": "FM", "ni": "NI", "pi": "PI",
          "chisq": "chi-square", "pct": "%", "n": "N", "df": "df", "rci": "RCI", "ancova": "ANCOVA",
          "mmrm": "MMRM", "locf": "LOCF", "itt": "ITT", "pdt": "PDT", "ctrl": "control",
          "sd": "SD", "hamd": "HAM-D", "yi": "effect size", "vi": "variance"}

_P_NAMES = {"p_value", "p_chisq", "p_chisq_yates", "p_fisher", "p_holm", "p_adjusted", "adjusted_p",
            "q_p", "p_between", "p_value_one_sided", "p_value_two_sided", "logrank_p", "cox_p",
            "p_trend", "p_interaction", "p_fisher_exact"}
_LEVEL_NAMES = {"alpha", "p_value_bound", "p_lower", "p_upper", "alpha_spent",
                "cumulative_alpha_spent", "beta_spent", "nominal_alpha", "stage_level"}
_PERCENT_NAMES = {"power", "rate", "rate_nri", "rate_complete_case", "survival",
                  "cumulative_incidence", "probability", "coverage", "type1_error", "mcse",
                  "p1", "p2", "p_group", "p_reference", "p_event1", "p_event2",
                  "information_rate", "risk_difference", "dropout", "dropout_probability",
                  "conf_level", "type1_mcse", "power_mcse", "rejection_rate", "closed_form",
                  "reject_mcse", "closed_form_power", "retained", "coverage_probability",
                  "events_not_achieved", "egger_rejection", "coverage_mc_se"}
_COUNT_NAMES = {"n", "n1", "n2", "k", "events", "patients", "recurrences", "lost_to_follow_up",
                "dropped_out", "switched", "subjects", "nnt", "studies"}
_RATIO_NAMES = {"hazard_ratio", "odds_ratio", "relative_risk", "ratio", "hr", "or", "rr", "ahr"}
_STATISTIC_NAMES = {"statistic", "z", "chisq", "t", "q", "f", "z_value", "t_value"}
# the column a plain ``ci_lower``/``ci_upper`` pair belongs to, first found
_MAIN_ESTIMATES = ("rejection_rate", "reject_probability", "rate", "survival",
                   "cumulative_incidence", "power", "hazard_ratio",
                   "odds_ratio", "relative_risk", "risk_difference", "estimate", "difference",
                   "median", "rmst", "mean_difference", "coef")
_CI_PREFIXES = {"rd": "risk_difference", "rr": "relative_risk", "or": "odds_ratio",
                "hr": "hazard_ratio", "nnt": "nnt", "adjusted_or": "odds_ratio"}


def column_kind(name: str) -> str:
    """How a column is formatted for people, from its name.

    One of ``"p"`` (p-values: "0.034", "<0.001"), ``"level"`` (significance levels and nominal
    bounds, more digits), ``"percent"`` (rates, probabilities, power, risk differences),
    ``"count"`` (whole numbers; sample sizes rounded up), ``"ratio"`` (two decimals),
    ``"statistic"`` (two decimals) or ``"number"`` (decimals by magnitude).

    >>> [column_kind(c) for c in ["p_chisq_yates", "rd_ci_lower", "n_risk", "hazard_ratio", "time"]]
    ['p', 'percent', 'count', 'ratio', 'number']
    >>> [column_kind(c) for c in ["events_exact", "n_total_exact", "mean_events", "events"]]
    ['number', 'number', 'number', 'count']
    """
    base = str(name).lower()
    if base in _P_NAMES or base.endswith(("_p_value", "_pvalue")):
        return "p"
    if base in _LEVEL_NAMES or base.startswith("alpha_"):
        return "level"
    for prefix, main in _CI_PREFIXES.items():
        if base.startswith(prefix + "_ci_"):
            return column_kind(main)
    if (base in _PERCENT_NAMES or base.endswith(("_power", "_probability", "_rate", "_mcse"))
            or base.startswith(("power_", "rate_", "p_publish", "cumulative_power"))
            or "probability" in base or base in ("p", "cure_fraction")) and (
            base not in ("dropout_rate", "event_rate", "hazard_rate", "dropout_rate1",
                         "dropout_rate2")):
        return "percent"
    if base.endswith("_exact") or base.startswith("mean_") or base.endswith("_mean"):
        return "number"  # an unrounded size or a mean is not a whole count
    if (base in _COUNT_NAMES or re.fullmatch(r"n(_[a-z0-9_]+|\d)", base)
            or base.endswith(("_events", "_patients", "_subjects", "_count"))
            or base.startswith(("events_", "number_of_", "expected_number"))
            or base.startswith("nnt_ci")):
        return "count"
    if base in _RATIO_NAMES or base.endswith("_ratio") and base != "allocation_ratio":
        return "ratio"
    if base in _STATISTIC_NAMES or base.endswith("_statistic"):
        return "statistic"
    return "number"


def column_label(name: str, conf_level: float | None = None) -> str:
    """A readable label for a column name: ``rd_ci_lower`` -> ``RD 95% CI lower``.

    >>> column_label("p_chisq_yates"), column_label("n_total_for_80pct")
    ('p (chi-square, Yates)', 'Total N for 80% power')
    """
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    level = f"{100 * conf_level:g}% " if conf_level else ""
    words = []
    for w in text.split("_"):
        if w == "ci":
            words.append(f"{level}CI")
        else:
            words.append(_WORDS.get(w.lower(), w))
    out = " ".join(words)
    return out[:1].upper() + out[1:] if out[:1].islower() else out


def _number_or_sign(fmt: Callable[..., str]) -> Callable[..., str]:
    """``fmt`` for finite numbers; "-" for what does not exist and "∞"/"-∞" for infinities."""

    @functools.wraps(fmt)
    def shown(x: Any, *args: Any, **kwargs: Any) -> str:
        v = _as_float(x)
        if v is None:
            return MISSING
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        return fmt(v, *args, **kwargs)

    return shown


def format_p_value(p: Any, digits: int = 3) -> str:
    """A p-value for people: ``"0.034"``, ``"<0.001"``, ``"-"`` when it does not exist.

    >>> [format_p_value(p) for p in (0.0342, 0.00002, 0.05, 1.0, float("nan"))]
    ['0.034', '<0.001', '0.050', '1.000', '-']
    """
    v = _as_float(p)
    if v is None:
        return MISSING
    floor = 10.0 ** -digits
    if v < floor:
        return f"<{floor:.{digits}f}"
    return f"{min(v, 1.0):.{digits}f}"


@_number_or_sign
def format_percent(x: Any, decimals: int = 1) -> str:
    """A proportion as a percentage: 0.8123 -> ``"81.2%"``; ``"-"`` when it does not exist.

    >>> format_percent(0.8123), format_percent(-0.11, 0), format_percent(None)
    ('81.2%', '-11%', '-')
    """
    v = float(x)
    return f"{100 * v:.{decimals}f}%"


@_number_or_sign
def format_count(x: Any) -> str:
    """A count or sample size as a whole number; a fractional size is rounded up.

    >>> format_count(39.0), format_count(161.758667), format_count(184.0000000001)
    ('39', '162', '184')
    """
    v = float(x)
    whole = round(v)
    if abs(v - whole) > 1e-9 * max(1.0, abs(v)):  # a fraction of a patient: one more
        whole = math.ceil(abs(v)) * (1 if v > 0 else -1)
    return f"{int(whole):,}" if abs(whole) >= 10000 else str(int(whole))


@_number_or_sign
def format_number(x: Any, decimals: int | None = None) -> str:
    """A number with ``decimals`` places (default: three significant digits, at most four places).

    >>> format_number(0.45612), format_number(4.5123), format_number(161.7), format_number(12.0)
    ('0.456', '4.51', '162', '12')
    """
    v = float(x)
    if decimals is None:
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        decimals = _decimals_for(abs(v))
    return f"{v:,.{decimals}f}" if abs(v) >= 10000 else f"{v:.{decimals}f}"


def _decimals_for(magnitude: float) -> int:
    """Places that give about three significant digits, between 0 and 4."""
    if magnitude == 0 or not math.isfinite(magnitude):
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(magnitude)))))


def _as_float(x: Any) -> float | None:
    """``x`` as a finite-or-infinite float; None for None, NaN, ``pd.NA``, ``pd.NaT`` and text."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


@_number_or_sign
def _format_level(x: Any) -> str:
    v = float(x)
    if v == 0 or v >= 0.001:
        return f"{v:.4f}".rstrip("0").rstrip(".") if v < 1 else f"{v:g}"
    return f"{v:.3g}" if v >= 1e-4 else f"{v:.1e}"


def _is_numeric(col: pd.Series) -> bool:
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    values = [v for v in col if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return bool(values) and all(isinstance(v, int | float | np.integer | np.floating)
                                and not isinstance(v, bool | np.bool_) for v in values)


def _cell_text(v: Any) -> str:
    import pandas as pd

    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return MISSING
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        return format_number(v)
    if isinstance(v, list | tuple):
        return ", ".join(_cell_text(x) for x in v)
    return str(v)


def formatter(kind: str, decimals: int | None = None) -> Callable[[Any], str]:
    """The function that shows a value of ``kind`` (see :func:`column_kind`) to people.

    ``decimals`` sets the places of percentages and plain numbers.

    >>> formatter("percent")(0.8123), formatter("count")(64.2), formatter("ratio")(0.4561)
    ('81.2%', '65', '0.46')
    """
    if kind == "p":
        return format_p_value
    if kind == "level":
        return _format_level
    if kind == "percent":
        return lambda v: format_percent(v, 1 if decimals is None else decimals)
    if kind == "count":
        return format_count
    if kind in ("ratio", "statistic"):
        return lambda v: format_number(v, 2)
    return lambda v: format_number(v, decimals)


def _ci_pairs(columns: list[str]) -> list[tuple[str, str, str]]:
    """``(lower, upper, prefix)`` for every ``X_lower`` column with an ``X_upper`` partner."""
    pairs = []
    for c in columns:
        if isinstance(c, str) and c.endswith("_lower"):
            upper = c[: -len("_lower")] + "_upper"
            if upper in columns:
                pairs.append((c, upper, c[: -len("_lower")]))
    return pairs


def _pair_label(prefix: str, conf_level: float | None) -> str:
    level = f"{100 * conf_level:g}% " if conf_level else ""
    if prefix == "ci":
        return f"{level}CI"
    if prefix == "pi":
        return f"{level}prediction interval"
    if prefix == "rci":
        return "Repeated CI"
    if prefix.endswith("_ci"):
        head = prefix[:-3]
        return f"{_WORDS.get(head, column_label(head))} {level}CI"
    return f"{column_label(prefix)} (interval)"


def format_table(data: pd.DataFrame, *, conf_level: float | None = None,
                 labels: dict[str, str] | None = None, kinds: dict[str, str] | None = None,
                 merge_intervals: bool = True, transpose: bool = False) -> pd.DataFrame:
    """A copy of ``data`` with every cell formatted for people and readable column labels.

    Parameters
    ----------
    data : DataFrame
        A tidy result table (``.summary``); it is not changed.
    conf_level : float in (0, 1), optional
        Shown in the interval labels ("95% CI").
    labels : dict, optional
        Column name -> label, over :data:`LABELS` and :func:`column_label`.
    kinds : dict, optional
        Column name -> kind (see :func:`column_kind`), over the kind guessed from the name.
    merge_intervals : bool, default True
        Show each ``X_lower``/``X_upper`` pair as one column "lower to upper".
    transpose : bool, default False
        One row per column ("" and "Value" for a one-row table): a wide summary read downwards.

    Returns
    -------
    DataFrame
        Strings only: p-values "0.034"/"<0.001", counts as whole numbers (sample sizes rounded
        up), rates and power as percentages, ratios and statistics with two decimals, other
        numbers with about three significant digits (intervals with their estimate's places) and
        "-" where a value does not exist.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"group": ["a"], "n_risk": [39.0], "hazard_ratio": [0.4561],
    ...                    "ci_lower": [0.2512], "ci_upper": [0.8273], "p_value": [0.00002]})
    >>> format_table(df, conf_level=0.95).iloc[0].to_dict()
    {'Group': 'a', 'At risk': '39', 'Hazard ratio': '0.46', '95% CI': '0.25 to 0.83', 'p': '<0.001'}
    """
    import pandas as pd

    labels = labels or {}
    kinds = dict(kinds or {})
    df = data.reset_index(drop=isinstance(data.index, pd.RangeIndex)) if len(data.columns) else data
    columns = [c for c in df.columns]
    main = next((c for c in _MAIN_ESTIMATES if c in columns), None)
    pairs = _ci_pairs([c for c in columns if isinstance(c, str)]) if merge_intervals else []
    pair_of = {lo: (hi, prefix) for lo, hi, prefix in pairs}
    uppers = {hi for _, hi, _ in pairs}

    def kind_of(c) -> str:
        if c in kinds:
            return kinds[c]
        k = column_kind(c)
        if k == "number" and main is not None and str(c).rsplit("_", 1)[0] in ("ci", "pi", "se"):
            main_kind = kinds.get(main, column_kind(main))
            return main_kind if c != "se" or main_kind == "percent" else k
        return k

    def places_of(*cols) -> list[int | None]:
        """Decimal places per row for ``number`` columns.

        One for the column unless its values span more than a factor of ten, then per row (from
        the first column given).
        """
        values = pd.to_numeric(df[cols[0]], errors="coerce").abs()
        together = pd.concat([pd.to_numeric(df[x], errors="coerce").abs() for x in cols])
        finite = together[np.isfinite(together)]
        if finite.empty or bool((finite == finite.round()).all()):
            return [0 if not finite.empty else None] * len(df)
        nonzero = finite[finite > 0]
        if nonzero.empty or nonzero.max() < 10 * nonzero.min() or len(cols) == 1 and (
                values[np.isfinite(values)].nunique() <= 1):
            return [_decimals_for(float(finite.max()))] * len(df)
        rows = []
        for i in range(len(df)):
            row = [abs(v) for v in (pd.to_numeric(df[x], errors="coerce").iloc[i] for x in cols)
                   if np.isfinite(v)]
            rows.append(_decimals_for(row[0]) if row else None)
        return rows

    estimate_of = {}
    for lo, _hi, prefix in pairs:
        head = prefix[:-3] if prefix.endswith("_ci") else None
        est = _CI_PREFIXES.get(head, head) if head else main
        estimate_of[lo] = est if est in columns else None
    paired_places = {}
    for lo, hi, _ in pairs:
        est = estimate_of[lo]
        cols = (est, lo, hi) if est is not None else (lo, hi)
        places = places_of(*cols)
        paired_places[lo] = places
        if est is not None:
            paired_places.setdefault(est, places)

    out: dict[str, list[str]] = {}
    for c in columns:
        if c in uppers:
            continue
        if not _is_numeric(df[c]):
            label = labels.get(c, column_label(c, conf_level))
            out[_unique(label, out)] = [_cell_text(v) for v in df[c]]
            continue
        if c in pair_of:
            hi, prefix = pair_of[c]
            est = estimate_of[c]
            kind = kinds.get(c) or (kind_of(est) if est is not None else kind_of(c))
            places = paired_places[c] if kind == "number" else [None] * len(df)
            label = labels.get(c, _pair_label(prefix, conf_level))
            cells = []
            for a, b, p in zip(df[c], df[hi], places, strict=True):
                f = formatter(kind, p)
                missing = _as_float(a) is None and _as_float(b) is None
                cells.append(MISSING if missing else f"{f(a)} to {f(b)}")
            out[_unique(label, out)] = cells
            continue
        kind = kind_of(c)
        places = paired_places.get(c) or places_of(c) if kind == "number" else [None] * len(df)
        if kind == "ratio":
            values = pd.to_numeric(df[c], errors="coerce").dropna()
            if values.round(2).nunique() < values.nunique():
                kind, places = "number", [3] * len(df)
        label = labels.get(c, column_label(c, conf_level))
        out[_unique(label, out)] = [formatter(kind, p)(v)
                                    for v, p in zip(df[c], places, strict=True)]
    result = pd.DataFrame(out, index=df.index if not isinstance(df.index, pd.RangeIndex) else None)
    if transpose:
        flipped = result.T
        flipped.columns = (["Value"] if len(result) == 1
                           else [str(i + 1) for i in range(len(result))])
        return flipped.rename_axis("").reset_index()
    return result


def _unique(label: str, taken) -> str:
    if label not in taken:
        return label
    i = 2
    while f"{label} ({i})" in taken:
        i += 1
    return f"{label} ({i})"


_TABLE_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 0.9em; margin: 0.4em 0 1em;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600;"
                                     " padding: 0 0 0.3em; color: #222;"},
    {"selector": "th", "props": "text-align: left; padding: 0.25em 0.6em; font-weight: 600;"
                                " border-bottom: 1px solid #444; vertical-align: bottom;"},
    {"selector": "td", "props": "padding: 0.2em 0.6em; border-bottom: 1px solid #e3e3e3;"
                                " vertical-align: top;"},
]


def styled_table(data: pd.DataFrame, *, caption: str | None = None,
                 conf_level: float | None = None, labels: dict[str, str] | None = None,
                 kinds: dict[str, str] | None = None, transpose: bool | None = None):
    """The table formatted for people (:func:`format_table`) as a pandas ``Styler``.

    Numbers are right-aligned and kept on one line; text columns wrap, so a wide table fits a
    page. ``caption`` is shown above the table. ``transpose`` (default: for one row of more than
    eight columns) shows one line per column.
    """
    import pandas as pd

    shown = format_table(data, conf_level=conf_level, labels=labels, kinds=kinds,
                         transpose=_read_downwards(data) if transpose is None else transpose)
    numeric = []
    text = []
    for label in shown.columns:
        values = [v for v in shown[label] if v != MISSING]
        if values and all(_looks_numeric(v) for v in values):
            numeric.append(label)
        else:
            text.append(label)
    styler = shown.style.format(escape="html")
    if isinstance(shown.index, pd.RangeIndex) and shown.index.name is None:
        styler = styler.hide(axis="index")
    digest = hashlib.sha1(shown.to_json().encode() + (caption or "").encode()).hexdigest()[:10]
    styler = styler.set_uuid(f"wb{digest}").set_table_styles(_TABLE_CSS)
    styler = styler.set_table_attributes('class="wb-table"')
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right",
                                                          "white-space": "nowrap"})
    if text:
        styler = styler.set_properties(subset=text, **{"max-width": "26em",
                                                       "white-space": "normal"})
    if caption:
        styler = styler.set_caption(caption)
    return styler


def _read_downwards(data: pd.DataFrame) -> bool:
    """Whether a table is shown one line per column: one row of more than eight columns."""
    return len(data) == 1 and len(data.columns) > 8


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[<>-]?[\d.,∞%-]+( to -?[\d.,∞%-]+)?", text.strip()))


def table_html(data: pd.DataFrame, *, caption: str | None = None, conf_level: float | None = None,
               labels: dict[str, str] | None = None, kinds: dict[str, str] | None = None,
               transpose: bool | None = None) -> str:
    """HTML of :func:`styled_table`, wrapped so that a table wider than the page scrolls."""
    styler = styled_table(data, caption=caption, conf_level=conf_level, labels=labels,
                          kinds=kinds, transpose=transpose)
    return f'<div class="wb-table-wrap" style="overflow-x: auto; max-width: 100%;">' \
           f"{styler.to_html()}</div>"


def table_text(data: pd.DataFrame, *, conf_level: float | None = None,
               labels: dict[str, str] | None = None, kinds: dict[str, str] | None = None,
               transpose: bool | None = None) -> str:
    """Plain text of :func:`format_table`, full cells (no truncated text)."""
    import pandas as pd

    shown = format_table(data, conf_level=conf_level, labels=labels, kinds=kinds,
                         transpose=_read_downwards(data) if transpose is None else transpose)
    if shown.empty:
        return "(no rows)"
    with pd.option_context("display.max_colwidth", None, "display.width", 200,
                           "display.max_columns", None):
        return shown.to_string(index=not isinstance(shown.index, pd.RangeIndex))
