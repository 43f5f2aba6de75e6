"""Time-to-event trial designs.

A :class:`SurvivalDesign` is a frozen, validated description of a randomised trial whose outcome is
the time to an event (for example recurrence of major depression): two or more :class:`Arm` objects,
each with a size and an event-time distribution (:class:`Exponential`, :class:`Weibull` or
:class:`PiecewiseExponential`, optionally with a cured fraction who never have the event), staggered
accrual, follow-up (fixed per patient, or to a calendar end of study as rpact counts it) and loss to
follow-up. Designs round-trip to and from dictionaries, YAML and JSON so notebooks and pipelines can
take them as a parameter; variants are made with :func:`dataclasses.replace` or :meth:`with_sizes`.

Time is in the design's ``time_unit`` (months by default) throughout.

Examples
--------
Trial T1 from the design catalogue: 41 patients who remitted on combination therapy and 51 on
pharmacotherapy alone, with 27% and 47% recurrence by 48 months:

>>> from workbench.design import SurvivalDesign, load_design
>>> t1 = load_design("t1")
>>> [arm.name for arm in t1.arms], t1.n_total
(['combination', 'pharmacotherapy'], 92)
>>> round(float(t1.arms[0].event_time.cdf(48)), 6)
0.27
>>> SurvivalDesign.from_yaml(t1.to_yaml()) == t1
True
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._validation import check_choice, check_int, check_positive, check_probability, type_name
from ..exceptions import InvalidParameterError
from ..kernels.replicates import cox_arrays, logrank_arrays
from ._load import design_fields, design_from_dict, read_design, register_design_type
from .draws import draw_survival
from .nph import PlannedTestTable
from .protocol import PlannedTest

__all__ = [
    "Exponential",
    "Weibull",
    "PiecewiseExponential",
    "PiecewiseHazardRatio",
    "Arm",
    "SurvivalDesign",
    "distribution_from_dict",
    "split_total",
    "nph_design",
]


# --------------------------------------------------------------------------------------------
# event-time distributions
# --------------------------------------------------------------------------------------------
class _Distribution:
    """Shared behaviour: survival, cdf and sampling from the cumulative hazard."""

    kind: ClassVar[str] = ""

    def cumulative_hazard(self, t):  # pragma: no cover - overridden
        raise NotImplementedError

    def inverse_cumulative_hazard(self, h):  # pragma: no cover - overridden
        raise NotImplementedError

    def hazard_at(self, t):
        """The hazard at ``t`` (right-continuous at a change point)."""
        raise NotImplementedError  # pragma: no cover - overridden

    def survival(self, t):
        """S(t) = exp(-H(t))."""
        return np.exp(-self.cumulative_hazard(t))

    def cdf(self, t):
        """Probability of the event by time ``t``: 1 - S(t)."""
        return -np.expm1(-self.cumulative_hazard(t))

    def median(self) -> float:
        return float(self.inverse_cumulative_hazard(math.log(2.0)))

    def sample(self, standard_exponential):
        """Event times from standard exponential draws (inverse cumulative hazard)."""
        return self.inverse_cumulative_hazard(np.asarray(standard_exponential, dtype=float))

    def scaled(self, hazard_ratio: float) -> _Distribution:  # pragma: no cover - overridden
        """The distribution with its hazard multiplied by ``hazard_ratio`` at every time."""
        raise NotImplementedError

    def hazard_ratio_to(self, other: _Distribution) -> float | None:
        """The constant ratio of this hazard to ``other``'s, or None when it is not constant."""
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"distribution": self.kind}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class Exponential(_Distribution):
    """Exponential event times with constant ``hazard`` (events per time unit).

    >>> Exponential.from_probability(0.47, 48).hazard == -math.log(1 - 0.47) / 48
    True
    >>> round(Exponential.from_median(12).hazard, 6)
    0.057762
    """

    hazard: float
    kind: ClassVar[str] = "exponential"

    def __post_init__(self):
        check_positive("hazard", self.hazard)
        object.__setattr__(self, "hazard", float(self.hazard))

    @classmethod
    def from_median(cls, median: float) -> Exponential:
        """The exponential distribution with the given median."""
        median = check_positive("median", median)
        return cls(math.log(2.0) / median)

    @classmethod
    def from_probability(cls, probability: float, time: float) -> Exponential:
        """The hazard giving cumulative event ``probability`` by ``time``: -log(1 - p) / time."""
        p = check_probability("probability", probability)
        t = check_positive("time", time)
        return cls(-math.log1p(-p) / t)

    def cumulative_hazard(self, t):
        """Cumulative hazard ``H(t) = hazard * t``."""
        return self.hazard * np.asarray(t, dtype=float)

    def inverse_cumulative_hazard(self, h):
        """Time at which the cumulative hazard reaches ``h``."""
        return np.asarray(h, dtype=float) / self.hazard

    def hazard_at(self, t):
        """The constant hazard, shaped like ``t``."""
        return np.full(np.shape(t), self.hazard, dtype=float)

    def scaled(self, hazard_ratio: float) -> Exponential:
        """The distribution with its hazard multiplied by ``hazard_ratio``."""
        return Exponential(self.hazard * hazard_ratio)

    def hazard_ratio_to(self, other: _Distribution) -> float | None:
        """The ratio of the two hazards when ``other`` is exponential too, else None."""
        return self.hazard / other.hazard if isinstance(other, Exponential) else None


@dataclass(frozen=True)
class Weibull(_Distribution):
    """Weibull event times: S(t) = exp(-(t / scale) ** shape).

    >>> w = Weibull.from_probability(0.27, 48, shape=1.5)
    >>> round(float(w.cdf(48)), 10)
    0.27
    """

    shape: float
    scale: float
    kind: ClassVar[str] = "weibull"

    def __post_init__(self):
        check_positive("shape", self.shape)
        check_positive("scale", self.scale)
        object.__setattr__(self, "shape", float(self.shape))
        object.__setattr__(self, "scale", float(self.scale))

    @classmethod
    def from_median(cls, median: float, *, shape: float) -> Weibull:
        """The Weibull distribution with the given median and ``shape``."""
        median = check_positive("median", median)
        shape = check_positive("shape", shape)
        return cls(shape, median / math.log(2.0) ** (1.0 / shape))

    @classmethod
    def from_probability(cls, probability: float, time: float, *, shape: float) -> Weibull:
        """The Weibull distribution with event probability ``probability`` by ``time``."""
        p = check_probability("probability", probability)
        t = check_positive("time", time)
        shape = check_positive("shape", shape)
        return cls(shape, t / (-math.log1p(-p)) ** (1.0 / shape))

    def cumulative_hazard(self, t):
        """Cumulative hazard ``H(t) = (t / scale) ** shape``."""
        return (np.asarray(t, dtype=float) / self.scale) ** self.shape

    def inverse_cumulative_hazard(self, h):
        """Time at which the cumulative hazard reaches ``h``."""
        return self.scale * np.asarray(h, dtype=float) ** (1.0 / self.shape)

    def hazard_at(self, t):
        """``shape / scale * (t / scale) ** (shape - 1)``."""
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore"):
            return self.shape / self.scale * (t / self.scale) ** (self.shape - 1)

    def scaled(self, hazard_ratio: float) -> Weibull:
        """The distribution with its hazard multiplied by ``hazard_ratio`` (the same shape)."""
        return Weibull(self.shape, self.scale * hazard_ratio ** (-1.0 / self.shape))

    def hazard_ratio_to(self, other: _Distribution) -> float | None:
        """The constant hazard ratio to a Weibull of the same shape, else None."""
        if not isinstance(other, Weibull) or other.shape != self.shape:
            return None
        return (other.scale / self.scale) ** self.shape


@dataclass(frozen=True)
class PiecewiseExponential(_Distribution):
    """Piecewise-constant hazard: ``hazards[i]`` applies from ``starts[i]`` to ``starts[i + 1]``.

    ``starts`` begins at 0 and increases; the last hazard applies to the end of time.

    >>> pw = PiecewiseExponential(starts=(0, 12), hazards=(0.02, 0.01))
    >>> round(float(pw.cumulative_hazard(24)), 10)
    0.36
    >>> float(pw.sample(0.36))
    24.0
    """

    starts: tuple[float, ...]
    hazards: tuple[float, ...]
    kind: ClassVar[str] = "piecewise_exponential"

    def __post_init__(self):
        values = {}
        for name in ("starts", "hazards"):
            try:
                arr = np.atleast_1d(np.asarray(getattr(self, name), dtype=float))
            except (TypeError, ValueError):
                arr = None
            if arr is None or arr.ndim != 1 or not np.all(np.isfinite(arr)):
                raise InvalidParameterError(
                    f"`{name}` must be a list of finite numbers; got {getattr(self, name)!r}."
                )
            values[name] = tuple(float(v) for v in arr)
        starts, hazards = values["starts"], values["hazards"]
        if len(starts) != len(hazards) or not starts:
            raise InvalidParameterError(
                f"`starts` and `hazards` must have the same, non-zero length; got {len(starts)} "
                f"and {len(hazards)}."
            )
        if starts[0] != 0:
            raise InvalidParameterError(f"`starts` must begin at 0; got {list(starts)}.")
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
            raise InvalidParameterError(
                f"`starts` must be strictly increasing; got {list(starts)}.")
        for i, h in enumerate(hazards):
            check_positive(f"hazards[{i}]", h, allow_zero=True)
        if hazards[-1] <= 0:
            raise InvalidParameterError(
                f"the last of `hazards` must be > 0 (else some patients never have the event; "
                f"use `cure_fraction` for that); got {hazards[-1]!r}."
            )
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "hazards", hazards)

    def hazard_at(self, t):
        """The hazard of the piece holding ``t``."""
        s = np.asarray(self.starts)
        idx = np.clip(np.searchsorted(s, np.asarray(t, dtype=float), side="right") - 1, 0,
                      len(s) - 1)
        return np.asarray(self.hazards)[idx]

    def scaled(self, hazard_ratio: float) -> PiecewiseExponential:
        """The distribution with every piece's hazard multiplied by ``hazard_ratio``."""
        return PiecewiseExponential(self.starts, tuple(h * hazard_ratio for h in self.hazards))

    def hazard_ratio_to(self, other: _Distribution) -> float | None:
        """The constant hazard ratio to a piecewise exponential with the same starts, else None."""
        if not isinstance(other, PiecewiseExponential) or other.starts != self.starts:
            return None
        ratios = {round(x / y, 12)
                  for x, y in zip(self.hazards, other.hazards, strict=True) if y > 0}
        if len(ratios) != 1:
            return None
        return next(x / y for x, y in zip(self.hazards, other.hazards, strict=True) if y > 0)

    def _cum_at_starts(self) -> np.ndarray:
        s = np.asarray(self.starts)
        h = np.asarray(self.hazards)
        return np.concatenate([[0.0], np.cumsum(h[:-1] * np.diff(s))])

    def cumulative_hazard(self, t):
        """Cumulative hazard at ``t``: the sum of each piece's hazard times the time spent in it."""
        t = np.asarray(t, dtype=float)
        s = np.asarray(self.starts)
        h = np.asarray(self.hazards)
        idx = np.clip(np.searchsorted(s, t, side="right") - 1, 0, len(s) - 1)
        return self._cum_at_starts()[idx] + h[idx] * (t - s[idx])

    def inverse_cumulative_hazard(self, x):
        """Time at which the cumulative hazard reaches ``x``."""
        x = np.asarray(x, dtype=float)
        s = np.asarray(self.starts)
        h = np.asarray(self.hazards)
        cum = self._cum_at_starts()
        # the piece with cum[i] < x <= cum[i + 1]: T = inf{t : H(t) >= x}
        idx = np.clip(np.searchsorted(cum, x, side="left") - 1, 0, len(s) - 1)
        while True:  # skip zero-hazard pieces (at most len(starts) passes, array-wide)
            zero = h[idx] == 0
            if not zero.any():
                break
            idx = np.where(zero, idx + 1, idx)
        return s[idx] + (x - cum[idx]) / h[idx]


@dataclass(frozen=True)
class PiecewiseHazardRatio(_Distribution):
    """A control distribution with its hazard multiplied by a ratio that changes at given times.

    ``hazard_ratios[i]`` applies from ``change_times[i - 1]`` to ``change_times[i]`` (from 0 before
    the first change time, to the end of time after the last): non-proportional hazards on top of
    any control arm. ``PiecewiseHazardRatio(Exponential.from_median(12), (4,), (1, 0.6))`` is a
    delayed effect (no difference for 4 months, then a hazard ratio of 0.6); ratios above and
    below 1 give crossing hazards. Times are since the patient's entry (randomisation).

    >>> d = PiecewiseHazardRatio(Exponential(0.1), change_times=(4,), hazard_ratios=(1, 0.5))
    >>> round(float(d.cumulative_hazard(10)), 10)   # 0.1 * 4 + 0.5 * 0.1 * 6
    0.7
    >>> round(float(d.sample(0.7)), 10)
    10.0
    """

    control: Exponential | Weibull | PiecewiseExponential
    change_times: tuple[float, ...]
    hazard_ratios: tuple[float, ...]
    kind: ClassVar[str] = "piecewise_hazard_ratio"

    def __post_init__(self):
        control = distribution_from_dict(self.control, name="control")
        try:
            times = tuple(float(v) for v in np.atleast_1d(np.asarray(self.change_times, float)))
            ratios = tuple(float(v) for v in np.atleast_1d(np.asarray(self.hazard_ratios, float)))
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"`change_times` and `hazard_ratios` must be lists of numbers; got "
                f"{self.change_times!r} and {self.hazard_ratios!r}.") from None
        if not all(math.isfinite(t) and t > 0 for t in times) or any(
                b <= a for a, b in zip(times, times[1:], strict=False)):
            raise InvalidParameterError(
                f"`change_times` must be finite, > 0 and strictly increasing; got {list(times)}.")
        if len(ratios) != len(times) + 1:
            raise InvalidParameterError(
                f"`hazard_ratios` must hold one more value than `change_times` (one per period): "
                f"{len(times) + 1} for change times {list(times)}; got {len(ratios)} "
                f"({list(ratios)}).")
        if not all(math.isfinite(r) and r > 0 for r in ratios):
            raise InvalidParameterError(
                f"`hazard_ratios` must be finite numbers > 0; got {list(ratios)}.")
        object.__setattr__(self, "control", control)
        object.__setattr__(self, "change_times", times)
        object.__setattr__(self, "hazard_ratios", ratios)

    def _bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Period starts, the control's and this distribution's cumulative hazard there."""
        starts = np.concatenate([[0.0], self.change_times])
        h0 = np.asarray(self.control.cumulative_hazard(starts), dtype=float)
        inc = np.asarray(self.hazard_ratios[:-1]) * np.diff(h0)
        return starts, h0, np.concatenate([[0.0], np.cumsum(inc)])

    def cumulative_hazard(self, t):
        """``sum_i hr_i (H0(min(t, c_i+1)) - H0(c_i))`` over the periods up to ``t``."""
        t = np.asarray(t, dtype=float)
        starts, h0, cum = self._bounds()
        idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
        hr = np.asarray(self.hazard_ratios)
        return cum[idx] + hr[idx] * (self.control.cumulative_hazard(t) - h0[idx])

    def inverse_cumulative_hazard(self, h):
        """The time at which the cumulative hazard reaches ``h``."""
        h = np.asarray(h, dtype=float)
        starts, h0, cum = self._bounds()
        idx = np.clip(np.searchsorted(cum, h, side="right") - 1, 0, len(starts) - 1)
        hr = np.asarray(self.hazard_ratios)
        return self.control.inverse_cumulative_hazard(h0[idx] + (h - cum[idx]) / hr[idx])

    def hazard_at(self, t):
        """The control's hazard times the period's hazard ratio."""
        starts = np.concatenate([[0.0], self.change_times])
        idx = np.clip(np.searchsorted(starts, np.asarray(t, dtype=float), side="right") - 1, 0,
                      len(starts) - 1)
        return np.asarray(self.hazard_ratios)[idx] * self.control.hazard_at(t)

    def scaled(self, hazard_ratio: float) -> PiecewiseHazardRatio:
        """Every period's hazard ratio multiplied by ``hazard_ratio``."""
        return PiecewiseHazardRatio(self.control, self.change_times,
                                    tuple(r * hazard_ratio for r in self.hazard_ratios))

    def hazard_ratio_to(self, other: _Distribution) -> float | None:
        """The constant hazard ratio to ``other`` (all periods' ratios equal), else None."""
        if len(set(self.hazard_ratios)) != 1:
            return None
        base = 1.0 if other == self.control else self.control.hazard_ratio_to(other)
        return None if base is None else base * self.hazard_ratios[0]

    def to_dict(self) -> dict[str, Any]:
        """A dictionary that :func:`distribution_from_dict` turns back into the distribution."""
        return {"distribution": self.kind, "control": self.control.to_dict(),
                "change_times": list(self.change_times),
                "hazard_ratios": list(self.hazard_ratios)}


_DISTRIBUTIONS = {
    "exponential": Exponential,
    "weibull": Weibull,
    "piecewise_exponential": PiecewiseExponential,
    "piecewise_hazard_ratio": PiecewiseHazardRatio,
}


def distribution_from_dict(spec: dict[str, Any] | _Distribution, *, name: str = "event_time"):
    """Build a distribution from a dictionary.

    Accepted forms (``distribution`` defaults to ``"exponential"``):

    - ``{"distribution": "exponential", "hazard": h}`` or ``{"median": m}`` or
      ``{"probability": p, "time": t}``;
    - ``{"distribution": "weibull", "shape": k, "scale": s}`` (or ``shape`` with ``median`` or with
      ``probability`` and ``time``);
    - ``{"distribution": "piecewise_exponential", "starts": [...], "hazards": [...]}``;
    - ``{"distribution": "piecewise_hazard_ratio", "control": {...}, "change_times": [...],
      "hazard_ratios": [...]}`` (a control distribution with a changing hazard ratio).

    >>> distribution_from_dict({"probability": 0.27, "time": 48}).cdf(48).round(6)
    np.float64(0.27)
    """
    if isinstance(spec, _Distribution):
        return spec
    if not isinstance(spec, dict):
        raise InvalidParameterError(f"`{name}` must be a mapping; got {spec!r}.")
    spec = dict(spec)
    kind = spec.pop("distribution", "exponential")
    check_choice(f"{name}.distribution", kind, _DISTRIBUTIONS)
    keys = set(spec)
    try:
        if kind == "exponential":
            if keys == {"hazard"}:
                return Exponential(spec["hazard"])
            if keys == {"median"}:
                return Exponential.from_median(spec["median"])
            if keys == {"probability", "time"}:
                return Exponential.from_probability(spec["probability"], spec["time"])
            allowed = "'hazard', 'median', or 'probability' with 'time'"
        elif kind == "weibull":
            if keys == {"shape", "scale"}:
                return Weibull(spec["shape"], spec["scale"])
            if keys == {"shape", "median"}:
                return Weibull.from_median(spec["median"], shape=spec["shape"])
            if keys == {"shape", "probability", "time"}:
                return Weibull.from_probability(spec["probability"], spec["time"],
                                                shape=spec["shape"])
            allowed = "'shape' with 'scale', 'median', or 'probability' and 'time'"
        elif kind == "piecewise_exponential":
            if keys == {"starts", "hazards"}:
                return PiecewiseExponential(tuple(spec["starts"]), tuple(spec["hazards"]))
            allowed = "'starts' and 'hazards'"
        else:
            if keys == {"control", "change_times", "hazard_ratios"}:
                return PiecewiseHazardRatio(spec["control"], tuple(spec["change_times"]),
                                            tuple(spec["hazard_ratios"]))
            allowed = "'control', 'change_times' and 'hazard_ratios'"
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"in `{name}`: {exc}") from None
    raise InvalidParameterError(
        f"`{name}` of distribution {kind!r} takes {allowed}; got keys {sorted(keys)}."
    )


# --------------------------------------------------------------------------------------------
# arms and design
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Arm:
    """One randomised arm: its ``name``, size ``n``, event-time distribution and cured fraction.

    ``cure_fraction`` patients never have the event; the others follow ``event_time``, so
    S(t) = cure_fraction + (1 - cure_fraction) * S0(t).
    """

    name: str
    n: int
    event_time: Exponential | Weibull | PiecewiseExponential | PiecewiseHazardRatio
    cure_fraction: float = 0.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidParameterError(
                f"`name` of an arm must be a non-empty string; got {self.name!r}.")
        object.__setattr__(self, "n", check_int(f"arms[{self.name}].n", self.n, minimum=1))
        object.__setattr__(
            self, "event_time",
            distribution_from_dict(self.event_time, name=f"arms[{self.name}].event_time")
        )
        cf = self.cure_fraction
        if not isinstance(cf, int | float) or isinstance(cf, bool) or not 0 <= cf < 1:
            raise InvalidParameterError(
                f"`arms[{self.name}].cure_fraction` must be in [0, 1); got {cf!r}."
            )
        object.__setattr__(self, "cure_fraction", float(cf))

    def survival(self, t):
        """Population survival of the arm, including the cured fraction."""
        return self.cure_fraction + (1.0 - self.cure_fraction) * self.event_time.survival(t)

    def cdf(self, t):
        """Probability of the event by ``t`` in the arm, including the cured fraction."""
        return 1.0 - self.survival(t)

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary (JSON/YAML-ready) that :meth:`from_dict` turns back into the arm."""
        return {
            "name": self.name,
            "n": self.n,
            "event_time": self.event_time.to_dict(),
            "cure_fraction": self.cure_fraction,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Arm:
        """The arm from a dictionary such as :meth:`to_dict` writes."""
        unknown = set(d) - {"name", "n", "event_time", "cure_fraction"}
        if unknown:
            raise InvalidParameterError(
                f"unknown field(s) {sorted(unknown)} in an arm; allowed: name, n, event_time, "
                "cure_fraction."
            )
        missing = {"name", "n", "event_time"} - set(d)
        if missing:
            raise InvalidParameterError(
                f"an arm needs field(s) {sorted(missing)}; got {sorted(d)}.")
        return cls(d["name"], d["n"], d["event_time"], d.get("cure_fraction", 0.0))


_FOLLOW_UP_TYPES = ("fixed", "calendar")


@register_design_type
@dataclass(frozen=True)
class SurvivalDesign:
    """A randomised time-to-event trial.

    Parameters
    ----------
    arms : sequence of Arm, at least two
        The arms, the experimental arm(s) first by convention (arm 1 in rpact's terms).
    accrual_time : float >= 0, default 0
        Patients enter uniformly over ``[0, accrual_time]``.
    follow_up : float > 0, default 48
        With ``follow_up_type="fixed"`` every patient is followed for ``follow_up`` after entry
        (trial T1: 48 months). With ``"calendar"`` the study ends at ``accrual_time + follow_up``:
        follow-up is counted after the end of accrual, as rpact's ``followUpTime``.
    follow_up_type : {"fixed", "calendar"}, default "fixed"
    dropout_rate : float >= 0, default 0
        Hazard of loss to follow-up per time unit (exponential, the same in all arms).
        Use :meth:`dropout_from_probability` to give it as a probability by a time.
    time_unit : str, default "months"
    name : str, default ""
    """

    arms: tuple[Arm, ...]
    accrual_time: float = 0.0
    follow_up: float = 48.0
    follow_up_type: str = "fixed"
    dropout_rate: float = 0.0
    time_unit: str = "months"
    name: str = ""

    def __post_init__(self):
        arms = self.arms
        if isinstance(arms, Arm | dict) or not hasattr(arms, "__iter__"):
            raise InvalidParameterError(
                f"`arms` must be a sequence of at least two arms; got {arms!r}.")
        if isinstance(arms, str | bytes):
            raise InvalidParameterError(
                f"`arms` must be a sequence of at least two arms; got {arms!r}.")
        for i, a in enumerate(arms):
            if not isinstance(a, Arm | dict):
                raise InvalidParameterError(
                    f"`arms[{i}]` must be an Arm or a mapping with fields name, n, event_time "
                    f"(and optionally cure_fraction); got {a!r}."
                )
        arms = tuple(a if isinstance(a, Arm) else Arm.from_dict(a) for a in arms)
        if len(arms) < 2:
            raise InvalidParameterError(f"`arms` must hold at least two arms; got {len(arms)}.")
        names = [a.name for a in arms]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"arm names must be unique; got {names}.")
        object.__setattr__(self, "arms", arms)
        object.__setattr__(
            self, "accrual_time", check_positive("accrual_time", self.accrual_time, allow_zero=True)
        )
        object.__setattr__(self, "follow_up", check_positive("follow_up", self.follow_up))
        check_choice("follow_up_type", self.follow_up_type, _FOLLOW_UP_TYPES)
        object.__setattr__(
            self, "dropout_rate", check_positive("dropout_rate", self.dropout_rate, allow_zero=True)
        )
        if not isinstance(self.time_unit, str):
            raise InvalidParameterError(f"`time_unit` must be a string; got {self.time_unit!r}.")
        if not isinstance(self.name, str):
            raise InvalidParameterError(f"`name` must be a string; got {self.name!r}.")

    # ---- derived quantities ---------------------------------------------------------------
    @property
    def n_total(self) -> int:
        """Number of patients over all arms."""
        return sum(a.n for a in self.arms)

    @property
    def arm_names(self) -> list[str]:
        """Arm names in the design's order."""
        return [a.name for a in self.arms]

    @property
    def n_per_arm(self) -> list[int]:
        """Arm sizes in the design's order."""
        return [a.n for a in self.arms]

    @property
    def study_duration(self) -> float:
        """Calendar time from the first entry to the end of the last patient's follow-up."""
        return self.accrual_time + self.follow_up

    @property
    def max_follow_up(self) -> float:
        """Longest possible follow-up of a patient."""
        if self.follow_up_type == "fixed":
            return self.follow_up
        return self.accrual_time + self.follow_up

    def dropout_probability(self, time: float) -> float:
        """Probability of loss to follow-up by ``time`` (in the absence of events)."""
        return float(-math.expm1(-self.dropout_rate * time))

    @staticmethod
    def dropout_from_probability(probability: float, time: float) -> float:
        """The dropout hazard giving ``probability`` in [0, 1) of loss to follow-up by ``time``.

        >>> round(SurvivalDesign.dropout_from_probability(0.1, 12), 8)
        0.00878004
        >>> SurvivalDesign.dropout_from_probability(0, 12)
        0.0
        """
        ok = isinstance(probability, int | float | np.integer | np.floating) and not isinstance(
            probability, bool) and 0 <= probability < 1
        if not ok:
            raise InvalidParameterError(
                f"`dropout_probability` must be in [0, 1); got {probability!r}.")
        p = float(probability)
        t = check_positive("dropout_time", time)
        return -math.log1p(-p) / t

    def with_sizes(self, sizes) -> SurvivalDesign:
        """The same design with new arm sizes (a sequence in arm order)."""
        sizes = list(sizes)
        if len(sizes) != len(self.arms):
            raise InvalidParameterError(
                f"`sizes` must give one size per arm ({len(self.arms)}); got {sizes}."
            )
        arms = tuple(dataclasses.replace(a, n=n) for a, n in zip(self.arms, sizes, strict=True))
        return dataclasses.replace(self, arms=arms)

    def with_total(self, n_total: int, allocation_ratio=None) -> SurvivalDesign:
        """The same design with ``n_total`` patients split by ``allocation_ratio``.

        ``allocation_ratio`` is a number (arm 1 : arm 2, as rpact's ``allocationRatioPlanned``, for
        two arms) or one weight per arm; by default the current sizes give the weights.
        """
        return self.with_sizes(split_total(n_total, self._weights(allocation_ratio)))

    def _weights(self, allocation_ratio) -> list[float]:
        if allocation_ratio is None:
            return [float(a.n) for a in self.arms]
        if np.ndim(allocation_ratio) == 0:
            if len(self.arms) != 2:
                raise InvalidParameterError(
                    "`allocation_ratio` must give one weight per arm for designs with more than "
                    "two arms."
                )
            r = check_positive("allocation_ratio", allocation_ratio)
            return [r, 1.0]
        weights = [float(w) for w in allocation_ratio]
        if len(weights) != len(self.arms) or any(not w > 0 for w in weights):
            raise InvalidParameterError(
                f"`allocation_ratio` must give {len(self.arms)} positive weights; "
                f"got {allocation_ratio!r}."
            )
        return weights

    # ---- the design protocol (workbench.design.protocol.TrialDesign) ---------------------------
    #: the planned tests of simulated power; the first is the default
    #: also the parameterised tests of :mod:`workbench.design.nph` ("fh:0:1", "maxcombo", ...)
    planned_tests: ClassVar[Mapping[str, PlannedTest]] = {}  # filled below the class

    experimental_index: ClassVar[int] = 0  # arm 1 in rpact's terms
    control_index: ClassVar[int] = 1
    effect_name: ClassVar[str] = "hazard_ratio"

    @property
    def effect(self) -> float | None:
        """Hazard ratio experimental / control, or None when the hazards are not proportional."""
        a, c = self.arms[self.experimental_index], self.arms[self.control_index]
        if a.cure_fraction != c.cure_fraction:
            return None
        return a.event_time.hazard_ratio_to(c.event_time)

    @property
    def effect_direction(self) -> str:
        """"less" when the experimental arm has fewer events by the longest follow-up."""
        t = self.max_follow_up
        a, c = self.arms[self.experimental_index], self.arms[self.control_index]
        return "less" if float(a.cdf(t) - c.cdf(t)) < 0 else "greater"

    def with_effect(self, value: float) -> SurvivalDesign:
        """The experimental arm: the control arm's distribution with its hazard times ``value``.

        The control arm's distribution and cured fraction, with the hazard multiplied by ``value``
        (proportional hazards).
        """
        hr = check_positive("hazard_ratio", value)
        arms = list(self.arms)
        c = arms[self.control_index]
        arms[self.experimental_index] = dataclasses.replace(
            arms[self.experimental_index], event_time=c.event_time.scaled(hr),
            cure_fraction=c.cure_fraction)
        return dataclasses.replace(self, arms=tuple(arms))

    def null_design(self) -> SurvivalDesign:
        """Both compared arms with the control arm's event times: no difference."""
        arms = list(self.arms)
        c = arms[self.control_index]
        arms[self.experimental_index] = dataclasses.replace(
            arms[self.experimental_index], event_time=c.event_time, cure_fraction=c.cure_fraction)
        return dataclasses.replace(self, arms=tuple(arms))

    def comparison(self, experimental: str, control: str) -> SurvivalDesign:
        """The design reduced to two of its arms, named: experimental (arm 1) and control."""
        arm = {a.name: a for a in self.arms}
        return dataclasses.replace(self, arms=(arm[experimental], arm[control]))

    def simulate_block(self, size: int, rng) -> Any:
        """``size`` replicates as :class:`~workbench.design.draws.SurvivalArrays`."""
        return draw_survival(self, size, np.random.default_rng(rng))

    # ---- constructors -----------------------------------------------------------------------
    @classmethod
    def from_probabilities(
        cls,
        probabilities: dict[str, float],
        *,
        at: float,
        sizes: dict[str, int] | None = None,
        n_total: int | None = None,
        allocation_ratio=None,
        shape: float | None = None,
        dropout_probability: float | None = None,
        dropout_time: float | None = None,
        **kwargs,
    ) -> SurvivalDesign:
        """A design from each arm's cumulative event probability by time ``at``.

        Exponential event times by default; Weibull with the given ``shape`` otherwise. Give either
        ``sizes`` (arm name -> n) or ``n_total`` with ``allocation_ratio`` (default equal).
        Loss to follow-up can be given as ``dropout_probability`` by ``dropout_time``; other keyword
        arguments go to the constructor.

        >>> d = SurvivalDesign.from_probabilities({"a": 0.27, "b": 0.47}, at=48, n_total=148)
        >>> d.n_per_arm
        [74, 74]
        """
        if not isinstance(probabilities, dict) or len(probabilities) < 2:
            raise InvalidParameterError(
                "`probabilities` must map at least two arm names to probabilities; "
                f"got {probabilities!r}."
            )
        names = list(probabilities)
        if (sizes is None) == (n_total is None):
            raise InvalidParameterError("give exactly one of `sizes` and `n_total`.")
        if sizes is not None:
            if set(sizes) != set(names):
                raise InvalidParameterError(
                    f"`sizes` must name the same arms as `probabilities` ({names}); "
                    f"got {list(sizes)}."
                )
            ns = [sizes[k] for k in names]
        else:
            n_total = check_int("n_total", n_total, minimum=len(names))
            if allocation_ratio is None:
                weights = [1.0] * len(names)
            elif np.ndim(allocation_ratio) == 0:
                weights = [check_positive("allocation_ratio", allocation_ratio), 1.0]
            else:
                weights = list(allocation_ratio)
            if len(weights) != len(names):
                raise InvalidParameterError(
                    f"`allocation_ratio` must give one weight per arm ({len(names)}); "
                    f"got {allocation_ratio!r}."
                )
            ns = split_total(n_total, weights)
        arms = []
        for name, n in zip(names, ns, strict=True):
            p = check_probability(f"probabilities[{name!r}]", probabilities[name])
            dist = (
                Exponential.from_probability(p, at)
                if shape is None
                else Weibull.from_probability(p, at, shape=shape)
            )
            arms.append(Arm(name, n, dist))
        if dropout_probability is not None:
            if dropout_time is None:
                raise InvalidParameterError("`dropout_time` is needed with `dropout_probability`.")
            kwargs["dropout_rate"] = cls.dropout_from_probability(dropout_probability, dropout_time)
        return cls(tuple(arms), **kwargs)

    # ---- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain JSON/YAML-ready dictionary that :meth:`from_dict` turns back into the design."""
        return {
            "type": "SurvivalDesign",
            "name": self.name,
            "arms": [a.to_dict() for a in self.arms],
            "accrual_time": self.accrual_time,
            "follow_up": self.follow_up,
            "follow_up_type": self.follow_up_type,
            "dropout_rate": self.dropout_rate,
            "time_unit": self.time_unit,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SurvivalDesign:
        """Build a design from a dictionary (as :meth:`to_dict` writes, or typed by hand).

        Loss to follow-up may also be given as ``dropout_probability`` with ``dropout_time``.
        """
        d = design_fields(cls, d, extra=("dropout_probability", "dropout_time"),
                          required=("arms",))
        if "dropout_probability" in d or "dropout_time" in d:
            if "dropout_rate" in d:
                raise InvalidParameterError(
                    "give loss to follow-up as `dropout_rate` or as `dropout_probability` with "
                    "`dropout_time`, not both."
                )
            if "dropout_time" not in d or "dropout_probability" not in d:
                raise InvalidParameterError(
                    "`dropout_probability` and `dropout_time` must be given together."
                )
            d["dropout_rate"] = cls.dropout_from_probability(
                d.pop("dropout_probability"), d.pop("dropout_time")
            )
        arms = d["arms"]
        if not isinstance(arms, list | tuple):
            raise InvalidParameterError(
                f"`arms` must be a list of at least two arms; got {arms!r}."
            )
        d["arms"] = tuple(arms)
        return cls(**d)

    def to_json(self, **kwargs) -> str:
        """The design as JSON text; ``kwargs`` go to :func:`json.dumps`."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> SurvivalDesign:
        """A design from JSON text or a ``.json`` file path."""
        return cls.from_dict(read_design(text, json.loads, "JSON"))

    def to_yaml(self) -> str:
        """The design as YAML text, fields in the order of :meth:`to_dict`."""
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> SurvivalDesign:
        """A design from YAML text or a ``.yaml``/``.yml`` file path."""
        import yaml

        return cls.from_dict(read_design(text, yaml.safe_load, "YAML"))

    @classmethod
    def from_file(cls, path) -> SurvivalDesign:
        """Read a design from a ``.yaml``/``.yml`` or ``.json`` file.

        The ``design.yaml`` written beside a simulated data set (``{seed, design}``) is read too.
        """
        design = design_from_dict(read_design(Path(path)))
        if not isinstance(design, cls):
            raise InvalidParameterError(
                f"design file {str(path)!r} holds a {type_name(design)}, not a {cls.__name__}."
            )
        return design

    # ---- display ------------------------------------------------------------------------------
    @property
    def summary(self):
        """One row per arm: size, distribution, median and event probability by ``follow_up``."""
        import pandas as pd

        rows = []
        for a in self.arms:
            rows.append(
                {
                    "arm": a.name,
                    "n": a.n,
                    "distribution": a.event_time.kind,
                    "cure_fraction": a.cure_fraction,
                    "median": a.event_time.median() if a.cure_fraction < 0.5 else float("inf"),
                    f"event_probability_at_{self.follow_up:g}": float(a.cdf(self.follow_up)),
                }
            )
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        from ..results import table_html

        head = (
            f"<strong>Time-to-event design</strong> {self.name}<br>accrual {self.accrual_time:g} "
            f"{self.time_unit}, follow-up {self.follow_up:g} ({self.follow_up_type}), "
            f"loss to follow-up {self.dropout_probability(self.follow_up):.1%} "
            f"by {self.follow_up:g}"
        )
        return head + table_html(self.summary)


def nph_design(*, control_median: float, hazard_ratios, change_times=(), n_total: int,
               accrual_time: float, study_duration: float, dropout_rate: float = 0.0,
               allocation_ratio: float = 1.0, arm_names=("experimental", "control"),
               name: str = "") -> SurvivalDesign:
    """A two-arm design with an exponential control arm and a hazard ratio that changes over time.

    Parameters
    ----------
    control_median : float > 0
        Median event time of the control arm (exponential).
    hazard_ratios : sequence of float > 0
        Experimental / control hazard ratio in each period (one more than ``change_times``).
    change_times : sequence of float > 0, strictly increasing, default ()
        Times since entry at which the hazard ratio changes (``(4,)`` with ``(1, 0.6)``: a
        delayed effect after 4 months).
    n_total : int
    accrual_time : float >= 0
        Uniform accrual over ``[0, accrual_time]``.
    study_duration : float > accrual_time
        Calendar time of the analysis (follow-up ends there: ``follow_up_type="calendar"``).
    dropout_rate : float >= 0, default 0
        Exponential loss-to-follow-up hazard, both arms.
    allocation_ratio : float > 0, default 1
        n experimental / n control.
    arm_names : (str, str), default ("experimental", "control")
    name : str, default ""

    Returns
    -------
    SurvivalDesign
        Arm 1 is experimental with a :class:`PiecewiseHazardRatio` on the control distribution.

    Examples
    --------
    >>> d = nph_design(control_median=12, hazard_ratios=(1, 0.6), change_times=(4,),
    ...                n_total=460, accrual_time=18, study_duration=36, dropout_rate=0.001)
    >>> d.n_per_arm, d.follow_up, d.effect is None
    ([230, 230], 18.0, True)
    """
    accrual_time = check_positive("accrual_time", accrual_time, allow_zero=True)
    study_duration = check_positive("study_duration", study_duration)
    if study_duration <= accrual_time:
        raise InvalidParameterError(
            f"`study_duration` must be longer than `accrual_time` ({accrual_time:g}); "
            f"got {study_duration!r}.")
    control = Exponential.from_median(check_positive("control_median", control_median))
    ratios = tuple(np.atleast_1d(np.asarray(hazard_ratios, dtype=float)).tolist())
    times = tuple(np.atleast_1d(np.asarray(change_times, dtype=float)).tolist())
    experimental = PiecewiseHazardRatio(control, times, ratios)
    if len(set(ratios)) == 1:
        experimental = control.scaled(ratios[0])  # type: ignore[assignment]
    n1, n2 = split_total(n_total, [check_positive("allocation_ratio", allocation_ratio), 1.0])
    arms = (Arm(arm_names[0], n1, experimental), Arm(arm_names[1], n2, control))
    return SurvivalDesign(arms, accrual_time=accrual_time, follow_up=study_duration - accrual_time,
                          follow_up_type="calendar", dropout_rate=dropout_rate, name=name)


def split_total(n_total: int, weights) -> list[int]:
    """Split ``n_total`` patients by ``weights`` (largest remainder; the sizes sum to the total).

    >>> split_total(92, [41, 51])
    [41, 51]
    >>> split_total(10, [1, 1, 1])
    [4, 3, 3]
    """
    n_total = check_int("n_total", n_total, minimum=len(weights))
    w = np.asarray(weights, dtype=float)
    if np.any(~(w > 0)):
        raise InvalidParameterError(f"allocation weights must be positive; got {list(weights)}.")
    exact = n_total * w / w.sum()
    sizes = np.floor(exact).astype(int)
    rest = n_total - sizes.sum()
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[:rest]] += 1
    return [int(s) for s in sizes]


# --------------------------------------------------------------------------------------------
# planned tests of simulated power
# --------------------------------------------------------------------------------------------
def _logrank_statistic(design: SurvivalDesign, sims, options) -> dict[str, np.ndarray]:
    res = logrank_arrays(sims.time, sims.event, sims.arm == design.experimental_index)
    return {"z": res.z, "events": res.events.astype(float)}


def _cox_statistic(design: SurvivalDesign, sims, options) -> dict[str, np.ndarray]:
    res = cox_arrays(sims.time, sims.event, sims.arm == design.experimental_index,
                     ties=options.get("ties", "efron"))
    return {"z": res.z, "events": sims.event.sum(axis=1).astype(float), "estimate": res.beta}


SurvivalDesign.planned_tests = PlannedTestTable({"logrank": _logrank_statistic,
                                                 "cox": _cox_statistic})
