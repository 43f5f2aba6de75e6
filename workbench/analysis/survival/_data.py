"""Input of the time-to-event analyses and the checks they share.

These helpers are public within :mod:`workbench.analysis.survival` (its modules share them) but not
part of the package's documented interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..._validation import (
    check_binary_column,
    check_choice,
    check_columns,
    check_dataframe,
    check_increasing_values,
    check_no_missing,
    check_numeric_column,
    check_probability,
    group_codes,
    label_text,
    text_labels,
)
from ...exceptions import DataValidationError, InvalidParameterError

__all__ = ["CONF_TYPES", "TIES", "DEFAULT_TIMES", "POOLED", "SurvivalData", "prepare_data",
           "require_events", "check_conf", "check_times", "check_reference", "prepared_frame"]

#: Scales of the pointwise Kaplan-Meier interval.
CONF_TYPES = ("log-log", "log", "plain")
#: Handling of tied event times in the Cox model.
TIES = ("efron", "breslow", "exact")
#: Default reporting times (months) before clipping to the follow-up; see :func:`default_times`.
DEFAULT_TIMES = (6.0, 12.0, 24.0, 36.0, 48.0)
#: Label of the single curve when no ``group`` is given.
POOLED = "all"


# ============================================================================================
# input handling
# ============================================================================================
@dataclass(frozen=True)
class SurvivalData:
    """Validated time, event, group (labels) and strata columns."""

    time: np.ndarray
    event: np.ndarray
    group: np.ndarray  # str labels (object array)
    levels: tuple[str, ...]
    strata: np.ndarray | None
    columns: dict[str, Any]
    #: Index of each row's group in ``levels`` (comparisons of integers, not of strings).
    codes: np.ndarray

    def in_group(self, level: str) -> np.ndarray:
        """Boolean mask of the rows in group ``level``."""
        return self.codes == self.levels.index(level)


def prepare_data(data, *, time, event, group=None, strata=None, need_group=False,
                 min_groups=2) -> SurvivalData:
    """Validated columns of time-to-event data (groups as strings, in sorted order)."""
    if time is None:
        raise InvalidParameterError("`time` must name the column of follow-up times; got None.")
    if event is None:
        raise InvalidParameterError("`event` must name the column of event indicators; got None.")
    if need_group and group is None:
        raise InvalidParameterError("`group` must name the column of group labels; got None.")
    data = check_dataframe(data)
    check_columns(data, time, event, group, strata)
    t = check_numeric_column(data, time, nonnegative=True)
    e = check_binary_column(data, event)
    if group is not None:
        codes, levels = group_codes(data, group, min_groups=min_groups)
    else:
        codes, levels = np.zeros(len(data), dtype=np.intp), (POOLED,)
    g = np.asarray(levels, dtype=object)[codes]
    s = None
    if strata is not None:
        check_no_missing(data, strata)
        s = text_labels(data[strata]).to_numpy(dtype=object)
    return SurvivalData(time=t, event=e, group=g, levels=levels, strata=s,
                        columns={"time": time, "event": event, "group": group, "strata": strata},
                        codes=codes)


def prepared_frame(prep: SurvivalData) -> pd.DataFrame:
    """The validated columns as a frame that :func:`prepare_data` reads again cheaply.

    Times as floats, events as 0/1 integers, groups and strata as categoricals of their labels:
    the analyses that each validate their input get the same values without reading every
    label again (used by :func:`~workbench.analysis.survival.analyze_survival`).
    """
    cols = prep.columns
    out = {cols["time"]: prep.time, cols["event"]: prep.event}
    if cols["group"] is not None:
        out[cols["group"]] = pd.Categorical.from_codes(prep.codes, categories=list(prep.levels))
    if cols["strata"] is not None and prep.strata is not None:
        out[cols["strata"]] = pd.Categorical(prep.strata)
    return pd.DataFrame(out, copy=False)


def require_events(prep: SurvivalData, what: str) -> None:
    """An error naming the event column when the data have no event."""
    if prep.event.sum() == 0:
        raise DataValidationError(
            f"column {prep.columns['event']!r} has no events (every value is 0); "
            f"{what} needs at least one event."
        )


def check_conf(conf_type, conf_level):
    """Check ``conf_type`` and return ``conf_level`` as a float in (0, 1)."""
    check_choice("conf_type", conf_type, CONF_TYPES)
    return check_probability("conf_level", conf_level)


def check_times(times, name="times") -> np.ndarray | None:
    """Reporting times as a strictly increasing array of finite times >= 0 (None stays None)."""
    if times is None:
        return None
    if np.isscalar(times):
        times = [times]
    try:
        arr = np.asarray(list(times), dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"`{name}` must be a list of numbers; got {times!r}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidParameterError(
            f"`{name}` must be a non-empty list of finite times >= 0; got {list(times)!r}."
        )
    return check_increasing_values(name, arr)


def check_reference(reference, levels):
    """The reference group label (default the first level), or an error listing the groups."""
    if reference is None:
        return levels[0]
    ref = label_text(reference)
    if ref not in levels:
        raise InvalidParameterError(
            f"`reference` must be one of the groups {list(levels)}; got {reference!r}."
        )
    return ref
