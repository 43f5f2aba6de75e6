"""Design of a trial with a continuous, repeatedly measured outcome (HAM-D-17).

A :class:`ContinuousDesign` describes two arms measured at the same visits (week 0 is the baseline):
the mean HAM-D trajectory of each arm, the standard deviation at each visit, the correlation between
visits (compound symmetry, AR(1) or unstructured), monotone drop-out between visits (completely at
random, or depending on the last observed score) and remission, defined as a score at or below a
threshold at the last visit. The score's range, rounding and column name are fields of the design:
the HAM-D-17 conventions (whole points in 0-52, remission <= 7, column ``hamd``) are set by the T7
and T8 designs of the catalogue, not by default.

>>> from workbench.design import ContinuousDesign, load_design
>>> d = load_design("t7")
>>> d.weeks, d.n_total
((0.0, 4.0, 8.0, 12.0), 40)
>>> round(d.endpoint_difference, 2)
-4.0
>>> ContinuousDesign.from_yaml(d.to_yaml()) == d
True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._validation import (
    check_choice,
    check_int,
    check_positive,
    check_real,
)
from ..exceptions import InvalidParameterError
from ..kernels.replicates import ancova_arrays, mmrm_arrays, ttest_arrays
from ._load import design_fields, read_design, register_design_type
from .draws import draw_continuous
from .protocol import PlannedTest, two_arm_weights
from .survival import split_total

__all__ = ["ContinuousArm", "ContinuousDesign"]

_COVARIANCES = ("compound_symmetry", "ar1", "unstructured")
#: the other columns of simulated data, which ``outcome_column`` must not take
_FIXED_COLUMNS = ("subject", "arm", "visit", "week", "baseline", "dropped_out", "remission")
_DROPOUT_MECHANISMS = ("MCAR", "MAR")


def _float_tuple(name: str, values, *, length: int | None = None) -> tuple[float, ...]:
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise InvalidParameterError(f"`{name}` must be a sequence of numbers; got {values!r}.")
    out = tuple(check_real(name, v) for v in values)
    if length is not None and len(out) != length:
        raise InvalidParameterError(
            f"`{name}` must have {length} value(s), one per visit; got {len(out)} ({list(out)})."
        )
    return out


@dataclass(frozen=True)
class ContinuousArm:
    """One arm of a :class:`ContinuousDesign`.

    Parameters
    ----------
    name : str
        Arm label, as it appears in simulated data.
    n : int >= 2
        Number of patients randomised to the arm.
    means : sequence of float
        Mean HAM-D score at each visit of the design, the first being the baseline (week 0).
    """

    name: str
    n: int
    means: tuple[float, ...]

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidParameterError(f"`name` of an arm must be a non-empty string; got "
                                        f"{self.name!r}.")
        object.__setattr__(self, "n", check_int(f"arms[{self.name!r}].n", self.n, minimum=2))
        object.__setattr__(self, "means", _float_tuple(f"arms[{self.name!r}].means", self.means))

    def to_dict(self) -> dict:
        """A plain dictionary (JSON/YAML-ready): ``name``, ``n`` and ``means``."""
        return {"name": self.name, "n": self.n, "means": list(self.means)}


@register_design_type
@dataclass(frozen=True)
class ContinuousDesign:
    """A two-arm trial with a HAM-D outcome measured at fixed visits.

    Parameters
    ----------
    arms : sequence of ContinuousArm (or dicts), length 2
        Control arm first, experimental arm second. Differences are experimental minus control
        (negative = lower HAM-D = better for the experimental arm).
    weeks : sequence of float
        Visit times in weeks, strictly increasing, starting at 0 (the baseline visit); at least two.
    sd : sequence of float > 0
        Standard deviation of the score at each visit (same in both arms).
    covariance : {"compound_symmetry", "ar1", "unstructured"}, default "ar1"
        Correlation between visits. ``compound_symmetry``: ``rho`` between any two visits;
        ``ar1``: ``rho ** |j - k|`` between visits j and k (visit index, not weeks);
        ``unstructured``: the full ``correlation`` matrix.
    rho : float in (-1, 1), optional
        Correlation parameter for ``compound_symmetry`` and ``ar1``.
    correlation : square matrix, optional
        Correlation matrix (symmetric, unit diagonal, positive definite) for ``unstructured``.
    dropout : sequence of float in [0, 1), default no drop-out
        ``dropout[j - 1]`` is the probability that a patient still in the trial at visit ``j - 1``
        leaves before visit ``j`` (a discrete hazard, one per post-baseline visit). Drop-out is
        monotone: a patient who leaves is not seen again.
    dropout_mechanism : {"MCAR", "MAR"}, default "MCAR"
        ``MCAR``: the hazard does not depend on the scores. ``MAR``: the log-odds of leaving
        before visit ``j`` is ``logit(dropout[j - 1]) + dropout_slope * (y[j - 1] - m[j - 1])``,
        where ``y[j - 1]`` is the patient's last observed score and ``m[j - 1]`` the mean of
        the two arms' means at that visit.
    dropout_slope : float, default 0
        Log-odds of leaving per HAM-D point above ``m[j - 1]`` (MAR only; positive = sicker
        patients leave more often).
    remission_threshold : float or None, default None
        Remission is a score ``<= remission_threshold`` at the last visit (HAM-D-17: 7); None
        leaves remission undefined (missing in simulated data).
    scale : (float, float) or None, default None
        Range of the score (HAM-D-17: 0 to 52); simulated scores are clipped to it. None: no
        limits.
    round_to : float > 0 or None, default None
        Simulated scores are rounded to a multiple of ``round_to`` (1: whole points, as HAM-D
        totals) before clipping; None keeps them unrounded.
    outcome_column : str, default "outcome"
        Name of the score column in simulated data (``"hamd"`` in the T7 and T8 designs).
    name, description : str
        Free text.

    Notes
    -----
    The scores of a patient across visits are multivariate normal with mean ``arm.means`` and
    covariance ``D R D`` (``D = diag(sd)``, ``R`` the correlation), then rounded to ``round_to``
    and clipped to ``scale`` (when given). Variants are made with :func:`dataclasses.replace`; the
    design round-trips through :meth:`to_dict` / :meth:`from_dict`, YAML and JSON.

    Examples
    --------
    >>> d = ContinuousDesign(
    ...     arms=[ContinuousArm("control", 30, (22, 18, 15)),
    ...           ContinuousArm("pdt", 30, (22, 16, 12))],
    ...     weeks=(0, 6, 12), sd=(4, 5, 6), covariance="compound_symmetry", rho=0.5,
    ...     dropout=(0.05, 0.1))
    >>> d.covariance_matrix().round(1)
    array([[16., 10., 12.],
           [10., 25., 15.],
           [12., 15., 36.]])
    >>> round(d.completion_probability, 3)
    0.855
    """

    arms: tuple[ContinuousArm, ...]
    weeks: tuple[float, ...]
    sd: tuple[float, ...]
    covariance: str = "ar1"
    rho: float | None = None
    correlation: tuple[tuple[float, ...], ...] | None = None
    dropout: tuple[float, ...] | None = None
    dropout_mechanism: str = "MCAR"
    dropout_slope: float = 0.0
    remission_threshold: float | None = None
    scale: tuple[float, float] | None = None
    round_to: float | None = None
    outcome_column: str = "outcome"
    name: str = "continuous design"
    description: str = ""
    _chol: np.ndarray = field(init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ validation
    def __post_init__(self):
        arms = self.arms
        if isinstance(arms, ContinuousArm | dict) or not hasattr(arms, "__iter__"):
            raise InvalidParameterError(f"`arms` must be a sequence of two arms; got {arms!r}.")
        arms = tuple(a if isinstance(a, ContinuousArm) else ContinuousArm(**a) for a in arms)
        if len(arms) != 2:
            raise InvalidParameterError(
                f"`arms` must hold exactly two arms (control, experimental); got {len(arms)}."
            )
        if arms[0].name == arms[1].name:
            raise InvalidParameterError(f"`arms` must have distinct names; got {arms[0].name!r} "
                                        "twice.")
        object.__setattr__(self, "arms", arms)

        weeks = _float_tuple("weeks", self.weeks)
        if len(weeks) < 2:
            raise InvalidParameterError(
                f"`weeks` must hold at least two visits (baseline and one more); got {list(weeks)}."
            )
        if weeks[0] != 0:
            raise InvalidParameterError(
                f"`weeks` must start at 0 (the baseline); got {list(weeks)}.")
        if any(b <= a for a, b in zip(weeks, weeks[1:], strict=False)):
            raise InvalidParameterError(f"`weeks` must be strictly increasing; got {list(weeks)}.")
        object.__setattr__(self, "weeks", weeks)
        k = len(weeks)

        if self.scale is None:
            lo, hi = -np.inf, np.inf
        else:
            scale = _float_tuple("scale", self.scale)
            if len(scale) != 2 or not scale[0] < scale[1]:
                raise InvalidParameterError(f"`scale` must be (low, high) with low < high; got "
                                            f"{self.scale!r}.")
            lo, hi = scale
            object.__setattr__(self, "scale", scale)

        for arm in arms:
            if len(arm.means) != k:
                raise InvalidParameterError(
                    f"`arms[{arm.name!r}].means` must have {k} values, one per visit in `weeks`; "
                    f"got {len(arm.means)}."
                )
            for m in arm.means:
                if not lo <= m <= hi:
                    raise InvalidParameterError(
                        f"`arms[{arm.name!r}].means` must lie in the scale [{lo:g}, {hi:g}]; "
                        f"got {m!r}."
                    )

        sd = _float_tuple("sd", self.sd, length=k)
        for s in sd:
            check_positive("sd", s)
        object.__setattr__(self, "sd", sd)

        cov = check_choice("covariance", self.covariance, _COVARIANCES)
        if cov in ("compound_symmetry", "ar1"):
            if self.rho is None:
                raise InvalidParameterError(f"`rho` is required with covariance={cov!r}; got None.")
            rho = check_real("rho", self.rho)
            if not -1 < rho < 1:
                raise InvalidParameterError(f"`rho` must be in (-1, 1); got {self.rho!r}.")
            object.__setattr__(self, "rho", rho)
            if self.correlation is not None:
                raise InvalidParameterError(
                    f"`correlation` is only used with covariance='unstructured'; got it with "
                    f"covariance={cov!r}."
                )
        else:
            if self.rho is not None:
                raise InvalidParameterError(
                    "`rho` is only used with covariance 'compound_symmetry' or 'ar1'; with "
                    "'unstructured' give `correlation`."
                )
            if self.correlation is None:
                raise InvalidParameterError(
                    "`correlation` (a matrix) is required with covariance='unstructured'; got None."
                )
            try:
                r = np.asarray(self.correlation, dtype=float)
            except (TypeError, ValueError):
                raise InvalidParameterError(
                    f"`correlation` must be a {k} x {k} matrix of numbers; got "
                    f"{self.correlation!r}."
                ) from None
            if r.shape != (k, k) or not np.all(np.isfinite(r)):
                raise InvalidParameterError(
                    f"`correlation` must be a finite {k} x {k} matrix (one row per visit); got "
                    f"shape {r.shape}."
                )
            if not np.allclose(r, r.T, atol=1e-12) or not np.allclose(np.diag(r), 1.0):
                raise InvalidParameterError(
                    "`correlation` must be symmetric with a unit diagonal; got "
                    f"{r.tolist()}."
                )
            object.__setattr__(self, "correlation",
                               tuple(tuple(float(x) for x in row) for row in r))
        corr = self.correlation_matrix()
        if np.linalg.eigvalsh(corr).min() <= 1e-10:
            raise InvalidParameterError(
                f"the correlation between visits must be positive definite; got {corr.tolist()}."
            )
        cov_m = corr * np.outer(sd, sd)
        object.__setattr__(self, "_chol", np.linalg.cholesky(cov_m))

        if self.dropout is None:
            dropout = (0.0,) * (k - 1)
        else:
            dropout = _float_tuple("dropout", self.dropout)
            if len(dropout) != k - 1:
                raise InvalidParameterError(
                    f"`dropout` must have {k - 1} values, one per post-baseline visit; got "
                    f"{list(dropout)}."
                )
            for p in dropout:
                if not 0 <= p < 1:
                    raise InvalidParameterError(f"`dropout` values must be in [0, 1); got {p!r}.")
        object.__setattr__(self, "dropout", dropout)
        check_choice("dropout_mechanism", self.dropout_mechanism, _DROPOUT_MECHANISMS)
        slope = check_real("dropout_slope", self.dropout_slope)
        if self.dropout_mechanism == "MCAR" and slope != 0:
            raise InvalidParameterError(
                f"`dropout_slope` must be 0 with dropout_mechanism='MCAR'; got {slope!r} "
                "(use dropout_mechanism='MAR')."
            )
        object.__setattr__(self, "dropout_slope", slope)
        if self.remission_threshold is not None:
            thr = check_real("remission_threshold", self.remission_threshold)
            if not lo <= thr <= hi:
                raise InvalidParameterError(
                    f"`remission_threshold` must lie in the scale [{lo:g}, {hi:g}]; got {thr!r}."
                )
            object.__setattr__(self, "remission_threshold", thr)
        if self.round_to is not None:
            object.__setattr__(self, "round_to", check_positive("round_to", self.round_to))
        if (not isinstance(self.outcome_column, str) or not self.outcome_column.strip()
                or self.outcome_column in _FIXED_COLUMNS):
            raise InvalidParameterError(
                f"`outcome_column` must be a non-empty string other than {list(_FIXED_COLUMNS)}; "
                f"got {self.outcome_column!r}."
            )
        for attr in ("name", "description"):
            if not isinstance(getattr(self, attr), str):
                raise InvalidParameterError(f"`{attr}` must be a string; got "
                                            f"{getattr(self, attr)!r}.")

    # ------------------------------------------------------------------ derived quantities
    @property
    def n_visits(self) -> int:
        """Number of visits, baseline included."""
        return len(self.weeks)

    @property
    def n_total(self) -> int:
        """Number of patients over both arms."""
        return sum(a.n for a in self.arms)

    @property
    def arm_names(self) -> tuple[str, str]:
        """The two arm names, experimental first."""
        return (self.arms[0].name, self.arms[1].name)

    def correlation_matrix(self) -> np.ndarray:
        """Correlation between visits, ``n_visits x n_visits``."""
        k = len(self.weeks)
        if self.covariance == "compound_symmetry":
            assert self.rho is not None  # required for this covariance
            return np.full((k, k), self.rho) + (1 - self.rho) * np.eye(k)
        if self.covariance == "ar1":
            idx = np.arange(k)
            return self.rho ** np.abs(idx[:, None] - idx[None, :]).astype(float)
        return np.array(self.correlation, dtype=float)

    def covariance_matrix(self) -> np.ndarray:
        """Covariance between visits ``D R D`` (before rounding and clipping)."""
        sd = np.asarray(self.sd)
        return self.correlation_matrix() * np.outer(sd, sd)

    def mean_matrix(self) -> np.ndarray:
        """Mean score, ``2 x n_visits`` (control first)."""
        return np.array([a.means for a in self.arms], dtype=float)

    @property
    def endpoint_difference(self) -> float:
        """Experimental minus control mean at the last visit."""
        return self.arms[1].means[-1] - self.arms[0].means[-1]

    @property
    def endpoint_effect_size(self) -> float:
        """``endpoint_difference / sd[-1]`` (standardised mean difference at the last visit)."""
        return self.endpoint_difference / self.sd[-1]

    @property
    def baseline_endpoint_correlation(self) -> float:
        """Correlation between the baseline and the last visit."""
        return float(self.correlation_matrix()[0, -1])

    @property
    def completion_probability(self) -> float:
        """Probability of reaching the last visit under MCAR drop-out (MAR: at the mean score)."""
        assert self.dropout is not None  # all zeros when not given
        return float(np.prod([1 - p for p in self.dropout]))

    # ------------------------------------------------------------------ the design protocol
    # (workbench.design.protocol.TrialDesign)
    experimental_index: ClassVar[int] = 1  # control arm first
    control_index: ClassVar[int] = 0
    effect_name: ClassVar[str] = "difference"
    #: the planned tests of simulated power; the first is the default
    planned_tests: ClassVar[dict[str, PlannedTest]] = {}  # filled below the class

    @property
    def effect(self) -> float:
        """The end-point difference, experimental minus control."""
        return float(self.endpoint_difference)

    @property
    def effect_direction(self) -> str:
        """"less" when the experimental arm's end-point mean is lower."""
        return "less" if self.endpoint_difference < 0 else "greater"

    def with_effect(self, value: float) -> ContinuousDesign:
        """The experimental arm's post-baseline means shifted to end-point difference ``value``."""
        value = check_real("difference", value)
        arms = list(self.arms)
        a, c = arms[self.experimental_index], arms[self.control_index]
        shift = value - (a.means[-1] - c.means[-1])
        means = tuple(m + shift * (j > 0) for j, m in enumerate(a.means))
        arms[self.experimental_index] = dataclasses.replace(a, means=means)
        return dataclasses.replace(self, arms=tuple(arms))

    def null_design(self) -> ContinuousDesign:
        """The design with no end-point difference."""
        return self.with_effect(0.0)

    def with_total(self, n_total: int, allocation_ratio: float | None = None) -> ContinuousDesign:
        """The same design with ``n_total`` patients.

        ``allocation_ratio`` = n experimental / n control (None keeps the current proportions).
        """
        sizes = split_total(int(n_total), two_arm_weights(self, allocation_ratio))
        arms = tuple(dataclasses.replace(a, n=n) for a, n in zip(self.arms, sizes, strict=True))
        return dataclasses.replace(self, arms=arms)

    def comparison(self, experimental: str, control: str) -> ContinuousDesign:
        """The design with its two arms named: experimental and control (stored control first)."""
        arm = {a.name: a for a in self.arms}
        return dataclasses.replace(self, arms=(arm[control], arm[experimental]))

    def simulate_block(self, size: int, rng) -> Any:
        """``size`` replicates as :class:`~workbench.design.draws.ContinuousArrays`."""
        return draw_continuous(self, size, np.random.default_rng(rng))

    # ------------------------------------------------------------------ round trip
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (JSON/YAML ready); :meth:`from_dict` inverts it."""
        out: dict[str, Any] = {"type": "ContinuousDesign"}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            v = getattr(self, f.name)
            if f.name == "arms":
                v = [a.to_dict() for a in v]
            elif f.name == "correlation" and v is not None:
                v = [list(row) for row in v]
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, d: dict) -> ContinuousDesign:
        """Build a design from :meth:`to_dict` output (unknown keys are an error)."""
        d = design_fields(cls, d)
        if "scale" in d and d["scale"] is not None:
            d["scale"] = tuple(d["scale"])
        return cls(**d)

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text of the design; also written to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> ContinuousDesign:
        """Read a design from JSON text or a ``.json`` file."""
        return cls.from_dict(read_design(text_or_path, json.loads, "JSON"))

    def to_yaml(self, path: str | Path | None = None) -> str:
        """YAML text of the design; also written to ``path`` if given."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_yaml(cls, text_or_path: str | Path) -> ContinuousDesign:
        """Read a design from YAML text or a ``.yaml``/``.yml`` file."""
        import yaml

        return cls.from_dict(read_design(text_or_path, yaml.safe_load, "YAML"))

    @classmethod
    def from_file(cls, path: str | Path) -> ContinuousDesign:
        """Read a design from a ``.yaml``/``.yml`` or ``.json`` file."""
        return cls.from_dict(read_design(Path(path)))

    # ------------------------------------------------------------------ display
    @property
    def summary(self):
        """One row per arm and visit: ``arm, n, visit, week, mean, sd, retained``.

        ``retained`` is the expected share of patients still in the trial at the visit under MCAR
        drop-out (under MAR, at a patient with mean scores).
        """
        import pandas as pd

        assert self.dropout is not None  # all zeros when not given
        keep = np.concatenate([[1.0], np.cumprod([1 - p for p in self.dropout])])
        rows = [
            {"arm": a.name, "n": a.n, "visit": j, "week": w, "mean": a.means[j], "sd": self.sd[j],
             "retained": keep[j]}
            for a in self.arms for j, w in enumerate(self.weeks)
        ]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        from ..results import table_html

        cov = self.covariance + (f" (rho {self.rho:g})" if self.rho is not None else "")
        head = (
            f"<strong>Continuous-outcome design</strong> {self.name}<br>visits at weeks "
            f"{', '.join(f'{w:g}' for w in self.weeks)}; covariance {cov}; drop-out "
            f"{self.dropout_mechanism}, {1 - self.completion_probability:.1%} by the last visit"
            + (f"; remission = score &le; {self.remission_threshold:g}"
               if self.remission_threshold is not None else "")
        )
        return head + table_html(self.summary)


# --------------------------------------------------------------------------------------------
# planned tests of simulated power (difference experimental minus control at the last visit)
# --------------------------------------------------------------------------------------------
def _as_planned(res: dict[str, np.ndarray], analysed: np.ndarray) -> dict[str, np.ndarray]:
    return {"z": res["statistic"], "df": res["df"], "estimate": res["estimate"], "se": res["se"],
            "events": analysed.sum(axis=1).astype(float)}


def _ttest_statistic(design: ContinuousDesign, sims, options) -> dict[str, np.ndarray]:
    """Student's t-test (pooled variance), completers at the last visit."""
    keep = sims.observed[..., -1]
    res = ttest_arrays(sims.y[..., -1], keep, sims.arm == design.experimental_index,
                       equal_var=True)
    return _as_planned(res, keep)


def _welch_statistic(design: ContinuousDesign, sims, options) -> dict[str, np.ndarray]:
    """Welch's t-test, completers at the last visit."""
    keep = sims.observed[..., -1]
    res = ttest_arrays(sims.y[..., -1], keep, sims.arm == design.experimental_index,
                       equal_var=False)
    return _as_planned(res, keep)


def _ancova_statistic(design: ContinuousDesign, sims, options) -> dict[str, np.ndarray]:
    """ANCOVA on baseline, completers at the last visit."""
    keep = sims.observed[..., -1]
    res = ancova_arrays(sims.y[..., -1], keep, sims.arm == design.experimental_index,
                        sims.y[..., 0])
    return _as_planned(res, keep)


def _ancova_locf_statistic(design: ContinuousDesign, sims, options) -> dict[str, np.ndarray]:
    """ANCOVA on baseline after carrying the last observation forward (sensitivity analysis)."""
    y_locf = np.take_along_axis(sims.y, sims.last_visit[..., None], axis=-1)[..., 0]
    everyone = np.ones(y_locf.shape, dtype=bool)
    res = ancova_arrays(y_locf, everyone, sims.arm == design.experimental_index, sims.y[..., 0])
    return _as_planned(res, everyone)


def _mmrm_statistic(design: ContinuousDesign, sims, options) -> dict[str, np.ndarray]:
    """MMRM (arm x visit + baseline, unstructured covariance, REML), arm effect at the last visit.

    Replicates that cannot be fitted give NaN.
    """
    res = mmrm_arrays(sims.y[..., 1:], sims.observed[..., 1:],
                      (sims.arm == design.experimental_index).astype(int), baseline=sims.y[..., 0])
    return _as_planned(res, sims.observed[..., -1])


ContinuousDesign.planned_tests = {
    "t-test": _ttest_statistic,
    "ancova": _ancova_statistic,
    "mmrm": _mmrm_statistic,
    "welch": _welch_statistic,
    "ancova-locf": _ancova_locf_statistic,
}
