"""Binary-outcome (remission, response) trial designs.

A :class:`BinaryDesign` is a frozen, validated description of a randomised trial whose primary end
point is binary (remission or response at a fixed week): two or more :class:`BinaryArm` objects,
each with a size and the probability of the outcome among patients who reach the end point, a
drop-out probability before the end point, and the way missing outcomes are handled in the analysis
(``"nri"``: non-responder imputation, a missing outcome counts as "not remitted";
``"complete_case"``; or ``"both"`` as a sensitivity analysis).

An arm can follow a two-stage switch rule (trial T3, :class:`SwitchRule`): response by
``response_week`` with one probability; responders continue and are in remission at the end point
with probability ``remission_responders``; non-responders switch to a second treatment and are in
remission with probability ``remission_switched``. The arm's outcome probability is then derived::

    p = response * remission_responders + (1 - response) * remission_switched

:func:`solve_switch_stages` finds the stage parameter that hits given final rates.

Designs round-trip to and from dictionaries, YAML and JSON; variants are made with
:func:`dataclasses.replace`, :meth:`BinaryDesign.with_sizes` or :meth:`BinaryDesign.with_dropout`.
The published trials T2-T6 are in the design catalogue (``load_design("t4")``).

Examples
--------
Trial T4: weekly PDT (25 patients) vs fluoxetine (26), 57% vs 68% remission at week 16:

>>> from workbench.design import BinaryDesign, load_design
>>> t4 = load_design("t4")
>>> [(a.name, a.n, a.p) for a in t4.arms]
[('pdt', 25, 0.57), ('fluoxetine', 26, 0.68)]
>>> BinaryDesign.from_yaml(t4.to_yaml()) == t4
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .._validation import check_choice, check_int, check_positive, check_probability, is_real
from ..exceptions import InvalidParameterError
from ..kernels.replicates import rates_arrays
from ._load import design_fields, read_design, register_design_type
from .draws import draw_binary
from .protocol import PlannedTest, two_arm_weights
from .survival import split_total

__all__ = [
    "SwitchRule",
    "BinaryArm",
    "BinaryDesign",
    "solve_switch_stages",
    "MISSING_HANDLING",
]

#: allowed values of ``BinaryDesign.missing``
MISSING_HANDLING = ("nri", "complete_case", "both")

_TOL = 1e-9  # agreement required between a given ``p`` and the one a switch rule implies

#: how the missing-outcome rule reads in a design's heading
_MISSING_WORDS = {"nri": "counted as non-response (NRI)",
                  "complete_case": "left out (complete cases)",
                  "both": "NRI and complete cases"}


def _check_name(field: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"`{field}` must be a non-empty string; got {value!r}.")
    return value


def _check_text(field: str, value) -> str:
    if not isinstance(value, str):
        raise InvalidParameterError(f"`{field}` must be a string; got {value!r}.")
    return value


def _probability(arm: BinaryArm) -> float:
    """``arm.p``, which every arm has once constructed (a switch rule implies it)."""
    assert arm.p is not None
    return arm.p


def _check_keys(where: str, d: dict, allowed: set[str],
                required: frozenset[str] | set[str] = frozenset()) -> None:
    if not isinstance(d, dict):
        raise InvalidParameterError(f"`{where}` must be a mapping; got {type(d).__name__}.")
    unknown = set(d) - allowed
    if unknown:
        raise InvalidParameterError(
            f"unknown field(s) {sorted(unknown)} in `{where}`; allowed: {sorted(allowed)}."
        )
    missing = set(required) - set(d)
    if missing:
        raise InvalidParameterError(f"`{where}` needs field(s) {sorted(missing)}; got {sorted(d)}.")


# --------------------------------------------------------------------------------------------
# two-stage switch rule
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SwitchRule:
    """A two-stage arm: response by ``response_week``; non-responders switch treatment.

    Parameters
    ----------
    response : float in [0, 1]
        Probability of response by ``response_week`` (stage 1).
    remission_responders : float in [0, 1]
        Probability that a stage-1 responder, continuing the first treatment, is in remission at the
        end point.
    remission_switched : float in [0, 1]
        Probability that a stage-1 non-responder, switched to ``switch_to``, is in remission at the
        end point.
    response_week : float > 0, default 8
        Week of the stage-1 assessment (must fall before the design's end point).
    switch_to : str, default ""
        Name of the second treatment (e.g. ``"venlafaxine"``), for display only.

    Examples
    --------
    >>> rule = SwitchRule(response=0.40, remission_responders=0.45, remission_switched=0.12)
    >>> round(rule.final_rate, 4)
    0.252
    """

    response: float
    remission_responders: float
    remission_switched: float
    response_week: float = 8.0
    switch_to: str = ""

    def __post_init__(self):
        for f in ("response", "remission_responders", "remission_switched"):
            object.__setattr__(self, f, check_probability(f, getattr(self, f), closed=True))
        object.__setattr__(self, "response_week",
                           check_positive("response_week", self.response_week))
        _check_text("switch_to", self.switch_to)

    @property
    def final_rate(self) -> float:
        """Probability of remission at the end point implied by the two stages."""
        r = self.response
        return r * self.remission_responders + (1.0 - r) * self.remission_switched

    @property
    def switch_probability(self) -> float:
        """Probability of switching (stage-1 non-response), ignoring drop-out."""
        return 1.0 - self.response

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary (JSON/YAML-ready) that :meth:`from_dict` turns back into the rule."""
        return {
            "response": self.response,
            "remission_responders": self.remission_responders,
            "remission_switched": self.remission_switched,
            "response_week": self.response_week,
            "switch_to": self.switch_to,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, where: str = "switch") -> SwitchRule:
        """The rule from a dictionary as :meth:`to_dict` writes; ``where`` names it in errors."""
        names = {f.name for f in dataclasses.fields(cls)}
        _check_keys(where, d, names, {"response", "remission_responders", "remission_switched"})
        try:
            return cls(**d)
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"in `{where}`: {exc}") from None


def solve_switch_stages(
    final_rates,
    *,
    response=None,
    remission_responders=None,
    remission_switched=None,
    response_week: float = 8.0,
    switch_to: str | list[str] = "",
) -> list[SwitchRule]:
    """Stage parameters of two-stage arms that hit given final remission rates.

    Exactly one of ``response``, ``remission_responders`` and ``remission_switched`` is left as
    ``None`` and solved from ``final = response * remission_responders + (1 - response) *
    remission_switched``; the other two are given, each as one number for all arms or one per arm.

    Parameters
    ----------
    final_rates : float or sequence of float in [0, 1]
        Target remission probability at the end point, one per arm.
    response, remission_responders, remission_switched : float, sequence of float or None
        Stage parameters (see :class:`SwitchRule`); exactly one is ``None``.
    response_week : float > 0, default 8
    switch_to : str or sequence of str, default ""
        Name(s) of the second treatment.

    Returns
    -------
    list of SwitchRule
        One per final rate, with ``final_rate`` equal to the target (to rounding).

    Raises
    ------
    InvalidParameterError
        If not exactly one parameter is ``None``, lengths disagree, or the solved parameter falls
        outside [0, 1] (the message names it and the arm).

    Examples
    --------
    Trial T3 (22%, 25% and 20% remission at week 16), with 35% stage-1 response and 50% remission
    among responders in every arm:

    >>> rules = solve_switch_stages([0.22, 0.25, 0.20], response=0.35, remission_responders=0.5)
    >>> [round(r.remission_switched, 4) for r in rules]
    [0.0692, 0.1154, 0.0385]
    >>> [round(r.final_rate, 10) for r in rules]
    [0.22, 0.25, 0.2]
    """
    finals = np.atleast_1d(np.asarray(final_rates, dtype=object))
    if finals.ndim != 1 or finals.size == 0:
        raise InvalidParameterError(
            f"`final_rates` must be a number or a list; got {final_rates!r}.")
    k = finals.size
    targets = [check_probability(f"final_rates[{i}]", v, closed=True) for i, v in enumerate(finals)]
    given = {
        "response": response,
        "remission_responders": remission_responders,
        "remission_switched": remission_switched,
    }
    unknown = [name for name, v in given.items() if v is None]
    if len(unknown) != 1:
        raise InvalidParameterError(
            "exactly one of `response`, `remission_responders` and `remission_switched` must be "
            f"None (the one to solve for); got None for {unknown or 'none of them'}."
        )
    solve = unknown[0]

    def per_arm(name, value):
        if np.ndim(value) == 0:
            return [check_probability(name, value, closed=True)] * k
        values = list(value)
        if len(values) != k:
            raise InvalidParameterError(
                f"`{name}` must be one number or one per arm ({k}); got {len(values)} values."
            )
        return [check_probability(f"{name}[{i}]", v, closed=True) for i, v in enumerate(values)]

    params = {name: per_arm(name, v) for name, v in given.items() if v is not None}
    if isinstance(switch_to, str):
        names = [switch_to] * k
    else:
        names = list(switch_to)
        if len(names) != k:
            raise InvalidParameterError(
                f"`switch_to` must be one name or one per arm ({k}); got {len(names)}."
            )
    rules = []
    for i, p in enumerate(targets):
        if solve == "response":
            a, b = params["remission_responders"][i], params["remission_switched"][i]
            if a == b:
                if abs(p - a) > _TOL:
                    raise InvalidParameterError(
                        f"`response` of arm {i} cannot be solved: remission_responders equals "
                        f"remission_switched ({a!r}) but the final rate is {p!r}."
                    )
                x = 0.5
            else:
                x = (p - b) / (a - b)
        elif solve == "remission_responders":
            r, b = params["response"][i], params["remission_switched"][i]
            if r == 0:
                raise InvalidParameterError(
                    f"`remission_responders` of arm {i} cannot be solved when `response` is 0."
                )
            x = (p - (1 - r) * b) / r
        else:
            r, a = params["response"][i], params["remission_responders"][i]
            if r == 1:
                raise InvalidParameterError(
                    f"`remission_switched` of arm {i} cannot be solved when `response` is 1."
                )
            x = (p - r * a) / (1 - r)
        if -_TOL < x < 0:
            x = 0.0
        if 1 < x < 1 + _TOL:
            x = 1.0
        if not 0 <= x <= 1:
            raise InvalidParameterError(
                f"no valid `{solve}` for arm {i}: final rate {p!r} needs {solve} = {x:.4g}, "
                "outside [0, 1]; change the other stage parameters."
            )
        values = {name: v[i] for name, v in params.items()}
        values[solve] = float(x)
        rules.append(SwitchRule(response_week=response_week, switch_to=names[i], **values))
    return rules


# --------------------------------------------------------------------------------------------
# arms
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BinaryArm:
    """One randomised arm of a binary-outcome trial.

    Parameters
    ----------
    name : str
        Arm label (unique within a design).
    n : int >= 1
        Patients randomised to the arm.
    p : float in [0, 1] or None
        Probability of the outcome (e.g. remission) among patients who reach the end point. May be
        omitted when ``switch`` is given (it is then derived); if both are given they must agree.
    switch : SwitchRule, dict or None
        Two-stage switch rule (see :class:`SwitchRule`).
    dropout : float in [0, 1) or None
        This arm's probability of dropping out before the end point; ``None`` uses the design's.
    """

    name: str
    n: int
    p: float | None = None
    switch: SwitchRule | None = None
    dropout: float | None = None

    def __post_init__(self):
        _check_name("arms.name", self.name)
        where = f"arms[{self.name}]"
        object.__setattr__(self, "n", check_int(f"{where}.n", self.n, minimum=1))
        switch = self.switch
        if isinstance(switch, dict):
            switch = SwitchRule.from_dict(switch, where=f"{where}.switch")
        elif switch is not None and not isinstance(switch, SwitchRule):
            raise InvalidParameterError(
                f"`{where}.switch` must be a SwitchRule, a mapping or None; got {switch!r}."
            )
        object.__setattr__(self, "switch", switch)
        p = self.p
        if p is None and switch is None:
            raise InvalidParameterError(
                f"`{where}.p` is needed (the outcome probability) unless a `switch` rule is given."
            )
        if p is not None:
            p = check_probability(f"{where}.p", p, closed=True)
        if switch is not None:
            implied = switch.final_rate
            if p is not None and abs(p - implied) > _TOL:
                raise InvalidParameterError(
                    f"`{where}.p` ({p!r}) disagrees with the rate its switch rule implies "
                    f"({implied:.6g}); give one of them, or use solve_switch_stages()."
                )
            p = implied if p is None else p
        object.__setattr__(self, "p", p)
        if self.dropout is not None:
            d = self.dropout
            if not is_real(d) or not 0 <= float(d) < 1:
                raise InvalidParameterError(f"`{where}.dropout` must be in [0, 1); got {d!r}.")
            object.__setattr__(self, "dropout", float(d))

    @property
    def two_stage(self) -> bool:
        """Whether the arm follows a two-stage switch rule."""
        return self.switch is not None

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary (JSON/YAML-ready) that :meth:`from_dict` turns back into the arm."""
        out: dict[str, Any] = {"name": self.name, "n": self.n, "p": self.p}
        if self.switch is not None:
            out["switch"] = self.switch.to_dict()
        if self.dropout is not None:
            out["dropout"] = self.dropout
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, where: str = "arms") -> BinaryArm:
        """The arm from a dictionary as :meth:`to_dict` writes; ``where`` names it in errors."""
        _check_keys(where, d, {"name", "n", "p", "switch", "dropout"}, {"name", "n"})
        return cls(**d)


# --------------------------------------------------------------------------------------------
# design
# --------------------------------------------------------------------------------------------
@register_design_type
@dataclass(frozen=True)
class BinaryDesign:
    """A randomised trial with a binary end point (remission or response).

    Parameters
    ----------
    arms : sequence of BinaryArm (or dicts), at least two
        Names must be unique.
    dropout : float in [0, 1), default 0
        Probability of dropping out before the end point (arms may override it). Drop-out is
        independent of the outcome (missing completely at random); drop-out times are uniform over
        ``(0, endpoint_week)``.
    missing : {"nri", "complete_case", "both"}, default "nri"
        Handling of missing outcomes in the analysis: non-responder imputation (a missing outcome
        counts as a treatment failure: not remitted, or still depressed when the outcome is bad),
        complete cases only, or both (sensitivity analysis).
    outcome : str, default "remission"
        What the binary outcome is (a label).
    higher_is_better : bool, default True
        Whether the outcome is good (remission, response) or bad (still depressed, as in T2).
        Decides NNT vs NNH and the direction of a non-inferiority margin.
    endpoint_week : float > 0, default 16
        Week of the end point. Switch rules must assess response before it.
    reference : str or None, default None
        Name of the reference (control) arm; ``None`` means the first arm.
    margin : float or None, default None
        Non-inferiority margin on the risk-difference scale (arm minus reference): negative when
        ``higher_is_better``, positive otherwise.
    name : str, default ""
    description : str, default ""

    Examples
    --------
    >>> d = BinaryDesign([BinaryArm("a", 50, 0.3), BinaryArm("b", 50, 0.5)], dropout=0.1)
    >>> d.expected_rates()[["arm", "rate_nri", "rate_complete_case"]]
      arm  rate_nri  rate_complete_case
    0   a      0.27                 0.3
    1   b      0.45                 0.5
    """

    arms: tuple[BinaryArm, ...]
    dropout: float = 0.0
    missing: str = "nri"
    outcome: str = "remission"
    higher_is_better: bool = True
    endpoint_week: float = 16.0
    reference: str | None = None
    margin: float | None = None
    name: str = ""
    description: str = ""

    def __post_init__(self):
        arms = self.arms
        if isinstance(arms, BinaryArm | dict | str) or not hasattr(arms, "__iter__"):
            raise InvalidParameterError(
                f"`arms` must be a sequence of at least two arms; got {arms!r}.")
        arms = tuple(
            a if isinstance(a, BinaryArm) else BinaryArm.from_dict(a, where=f"arms[{i}]")
            for i, a in enumerate(arms)
        )
        if len(arms) < 2:
            raise InvalidParameterError(f"`arms` must hold at least two arms; got {len(arms)}.")
        names = [a.name for a in arms]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"`arms` names must be unique; got {names}.")
        object.__setattr__(self, "arms", arms)
        d = self.dropout
        if not is_real(d) or not 0 <= float(d) < 1:
            raise InvalidParameterError(f"`dropout` must be in [0, 1); got {d!r}.")
        object.__setattr__(self, "dropout", float(d))
        check_choice("missing", self.missing, MISSING_HANDLING)
        _check_text("outcome", self.outcome)
        if not isinstance(self.higher_is_better, bool | np.bool_):
            raise InvalidParameterError(
                f"`higher_is_better` must be True or False; got {self.higher_is_better!r}."
            )
        object.__setattr__(self, "higher_is_better", bool(self.higher_is_better))
        object.__setattr__(self, "endpoint_week",
                           check_positive("endpoint_week", self.endpoint_week))
        for a in arms:
            if a.switch is not None and not a.switch.response_week < self.endpoint_week:
                raise InvalidParameterError(
                    f"`arms[{a.name}].switch.response_week` ({a.switch.response_week:g}) must be "
                    f"before `endpoint_week` ({self.endpoint_week:g})."
                )
        if self.reference is not None and self.reference not in names:
            raise InvalidParameterError(
                f"`reference` must be one of the arm names {names}; got {self.reference!r}."
            )
        if self.margin is not None:
            m = self.margin
            if not is_real(m) or not math.isfinite(float(m)) or not 0 < abs(float(m)) < 1:
                raise InvalidParameterError(
                    f"`margin` must be a risk difference with 0 < |margin| < 1; got {m!r}."
                )
            if (float(m) < 0) != self.higher_is_better:
                want = "negative" if self.higher_is_better else "positive"
                raise InvalidParameterError(
                    f"`margin` must be {want} when higher_is_better={self.higher_is_better} "
                    f"(arm minus reference on the risk-difference scale); got {m!r}."
                )
            object.__setattr__(self, "margin", float(m))
        _check_text("name", self.name)
        _check_text("description", self.description)

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
    def rates(self) -> list[float]:
        """Outcome probability of each arm among patients reaching the end point."""
        return [float(_probability(a)) for a in self.arms]

    @property
    def reference_arm(self) -> str:
        """Name of the reference arm (the first arm unless ``reference`` says otherwise)."""
        return self.reference if self.reference is not None else self.arms[0].name

    def arm_dropout(self, arm: BinaryArm | str) -> float:
        """Drop-out probability of an arm (its own, or the design's)."""
        if isinstance(arm, str):
            arm = self.arms[self.arm_names.index(arm)]
        return self.dropout if arm.dropout is None else arm.dropout

    def expected_rates(self):
        """Expected rates per arm under each missing-data handling.

        Returns
        -------
        pandas.DataFrame
            Columns ``arm, n, p, dropout, rate_nri, rate_complete_case, expected_events_nri,
            expected_completers, two_stage``. Under non-responder imputation a drop-out counts as a
            treatment failure: ``rate_nri = p * (1 - dropout)`` for a good outcome (no remission)
            and ``p * (1 - dropout) + dropout`` for a bad one (still depressed);
            ``rate_complete_case = p`` (drop-out is at random).
        """
        import pandas as pd

        rows = []
        for a in self.arms:
            d = self.arm_dropout(a)
            p = _probability(a)
            rows.append(
                {
                    "arm": a.name,
                    "n": a.n,
                    "p": p,
                    "dropout": d,
                    "rate_nri": p * (1 - d) + (0.0 if self.higher_is_better else d),
                    "rate_complete_case": p,
                    "expected_events_nri": a.n * (p * (1 - d)
                                                  + (0.0 if self.higher_is_better else d)),
                    "expected_completers": a.n * (1 - d),
                    "two_stage": a.switch is not None,
                }
            )
        return pd.DataFrame(rows)

    def with_sizes(self, sizes) -> BinaryDesign:
        """The same design with new arm sizes (one per arm, in arm order)."""
        sizes = list(sizes)
        if len(sizes) != len(self.arms):
            raise InvalidParameterError(
                f"`sizes` must give one size per arm ({len(self.arms)}); got {sizes}."
            )
        arms = tuple(dataclasses.replace(a, n=n) for a, n in zip(self.arms, sizes, strict=True))
        return dataclasses.replace(self, arms=arms)

    # ---- the design protocol (workbench.design.protocol.TrialDesign) ---------------------------
    effect_name: ClassVar[str] = "p1"
    #: the planned tests of simulated power; the first is the default
    planned_tests: ClassVar[dict[str, PlannedTest]] = {}  # filled below the class

    @property
    def control_index(self) -> int:
        """Index of the reference arm."""
        return self.arm_names.index(self.reference_arm)

    @property
    def experimental_index(self) -> int:
        """Index of the first arm that is not the reference arm."""
        ref = self.control_index
        return next(i for i in range(len(self.arms)) if i != ref)

    @property
    def effect(self) -> float:
        """The experimental arm's outcome probability ``p1``."""
        return float(_probability(self.arms[self.experimental_index]))

    @property
    def effect_direction(self) -> str:
        """"greater" or "less": the one-sided alternative of the planned test.

        With a margin, the direction of benefit.
        """
        if self.margin is not None:
            return "greater" if self.higher_is_better else "less"
        exp, ctrl = self.arms[self.experimental_index], self.arms[self.control_index]
        return "less" if _probability(exp) < _probability(ctrl) else "greater"

    def with_effect(self, value: float) -> BinaryDesign:
        """The experimental arm with outcome probability ``value``.

        A two-stage arm becomes a single-stage arm with that probability.
        """
        p = check_probability("p1", value, closed=True)
        arms = list(self.arms)
        a = arms[self.experimental_index]
        arms[self.experimental_index] = BinaryArm(a.name, a.n, p, dropout=a.dropout)
        return dataclasses.replace(self, arms=tuple(arms))

    def null_design(self) -> BinaryDesign:
        """The design under H0: equal rates, or the non-inferiority boundary with a margin.

        H0 holds for the rates the test compares: with non-responder imputation those are
        ``p (1 - dropout)`` (plus the drop-out for a bad outcome), not the latent ``p``.
        """
        exp, ctrl = self.experimental_index, self.control_index
        margin = self.margin or 0.0
        p = _probability(self.arms[ctrl]) + margin
        if self.missing in ("nri", "both"):
            d_exp = self.arm_dropout(self.arms[exp])
            d_ctrl = self.arm_dropout(self.arms[ctrl])
            bad_exp = 0.0 if self.higher_is_better else d_exp
            bad_ctrl = 0.0 if self.higher_is_better else d_ctrl
            target = _probability(self.arms[ctrl]) * (1 - d_ctrl) + bad_ctrl + margin
            p = (target - bad_exp) / (1 - d_exp)
            if abs(p) < 1e-12 or abs(p - 1) < 1e-12:
                p = round(p)
        if not 0 <= p <= 1:
            raise InvalidParameterError(
                f"the null hypothesis (`margin` {margin:g}) puts arm 1's rate at {p:g}, "
                "outside [0, 1]."
            )
        return self.with_effect(p)

    def with_total(self, n_total: int, allocation_ratio: float | None = None) -> BinaryDesign:
        """The same design with ``n_total`` patients.

        ``allocation_ratio`` = n experimental / n control (None keeps the current proportions).
        """
        return self.with_sizes(split_total(int(n_total), two_arm_weights(self, allocation_ratio)))

    def comparison(self, experimental: str, control: str) -> BinaryDesign:
        """The design reduced to two of its arms, named: experimental and control (reference)."""
        arm = {a.name: a for a in self.arms}
        return dataclasses.replace(self, arms=(arm[experimental], arm[control]), reference=control)

    def simulate_block(self, size: int, rng) -> Any:
        """``size`` replicates as :class:`~workbench.design.draws.BinaryArrays`."""
        return draw_binary(self, size, np.random.default_rng(rng))

    def with_dropout(self, dropout: float, *, nri_rates: bool = True) -> BinaryDesign:
        """The same trial with drop-out probability ``dropout`` before the end point.

        With ``nri_rates`` (the default) each arm keeps its expected intention-to-treat rate under
        non-responder imputation (a drop-out counted as a treatment failure), as when published
        rates are taken to be such rates: the probability ``p`` among completers becomes
        ``rate / (1 - dropout)`` for a good outcome and ``(rate - dropout) / (1 - dropout)`` for a
        bad one. An arm with a switch rule keeps its stage-1 ``response`` and
        ``remission_responders`` and has ``remission_switched`` solved again
        (:func:`solve_switch_stages`). With ``nri_rates=False`` only the drop-out changes. Arms
        with a drop-out of their own are left as they are.

        Parameters
        ----------
        dropout : float in [0, 1)
        nri_rates : bool, default True

        Raises
        ------
        InvalidParameterError
            If ``dropout`` is outside [0, 1), or too large to keep an arm's rate (a bad outcome's
            rate must be at least ``dropout``).

        Examples
        --------
        >>> from workbench.design import load_design
        >>> t4 = load_design("t4").with_dropout(0.1)
        >>> [round(a.p, 4) for a in t4.arms], t4.expected_rates()["rate_nri"].round(4).tolist()
        ([0.6333, 0.7556], [0.57, 0.68])
        """
        if not is_real(dropout) or not 0 <= float(dropout) < 1:
            raise InvalidParameterError(f"`dropout` must be in [0, 1); got {dropout!r}.")
        if not nri_rates:
            return dataclasses.replace(self, dropout=dropout)
        good = self.higher_is_better
        d = float(dropout)
        built = []
        for a in self.arms:
            if a.dropout is not None:
                built.append(a)
                continue
            rate = _probability(a) * (1 - self.dropout) + (0.0 if good else self.dropout)
            p = rate / (1 - d) if good else (rate - d) / (1 - d)
            if not 0 <= p <= 1:
                raise InvalidParameterError(
                    f"`dropout` {dropout!r} is too large for arm {a.name!r}: with drop-outs "
                    f"counted as failures its rate {rate!r} would need p = {p:.3g} among "
                    "completers; lower `dropout` or pass nri_rates=False."
                )
            if a.switch is None:
                built.append(dataclasses.replace(a, p=p))
            else:
                rule = solve_switch_stages(
                    p, response=a.switch.response,
                    remission_responders=a.switch.remission_responders,
                    response_week=a.switch.response_week, switch_to=a.switch.switch_to)[0]
                built.append(dataclasses.replace(a, p=None, switch=rule))
        return dataclasses.replace(self, arms=tuple(built), dropout=dropout)

    # ---- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain JSON/YAML-ready dictionary that :meth:`from_dict` turns back into the design."""
        return {
            "type": "BinaryDesign",
            "name": self.name,
            "description": self.description,
            "outcome": self.outcome,
            "higher_is_better": self.higher_is_better,
            "endpoint_week": self.endpoint_week,
            "dropout": self.dropout,
            "missing": self.missing,
            "reference": self.reference,
            "margin": self.margin,
            "arms": [a.to_dict() for a in self.arms],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BinaryDesign:
        """Build a design from a dictionary (as :meth:`to_dict` writes, or typed by hand)."""
        d = design_fields(cls, d, required=("arms",))
        arms = d["arms"]
        if not isinstance(arms, list | tuple):
            raise InvalidParameterError(f"`arms` must be a list of arms; got {arms!r}.")
        d["arms"] = tuple(
            BinaryArm.from_dict(a, where=f"arms[{i}]") if isinstance(a, dict) else a
            for i, a in enumerate(arms)
        )
        return cls(**d)

    def to_json(self, path: str | os.PathLike | None = None, **kwargs) -> str:
        """JSON text of :meth:`to_dict` (also written to ``path`` if given)."""
        kwargs.setdefault("indent", 2)
        text = json.dumps(self.to_dict(), **kwargs)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> BinaryDesign:
        """A design from JSON text or a ``.json`` file path."""
        return cls.from_dict(read_design(source, json.loads, "JSON"))

    def to_yaml(self, path: str | os.PathLike | None = None) -> str:
        """YAML text of :meth:`to_dict` (also written to ``path`` if given)."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_yaml(cls, source: str | os.PathLike) -> BinaryDesign:
        """A design from YAML text or a ``.yaml``/``.yml`` file path."""
        import yaml

        return cls.from_dict(read_design(source, yaml.safe_load, "YAML"))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> BinaryDesign:
        """Read a design from a ``.yaml``/``.yml`` or ``.json`` file."""
        p = Path(path)
        return cls.from_json(p) if p.suffix.lower() == ".json" else cls.from_yaml(p)

    # ---- display ------------------------------------------------------------------------------
    @property
    def summary(self):
        """One row per arm: n, p, drop-out, expected rates, switch-rule stage parameters."""
        df = self.expected_rates()
        df["response"] = [a.switch.response if a.switch else np.nan for a in self.arms]
        df["remission_responders"] = [
            a.switch.remission_responders if a.switch else np.nan for a in self.arms
        ]
        df["remission_switched"] = [
            a.switch.remission_switched if a.switch else np.nan for a in self.arms
        ]
        df["reference"] = [a.name == self.reference_arm for a in self.arms]
        return df

    def _repr_html_(self) -> str:
        from ..results import table_html

        head = (
            f"<strong>Binary-outcome design</strong> {self.name}: {self.outcome} at week "
            f"{self.endpoint_week:g}, drop-out {self.dropout:.0%}, missing outcomes: "
            f"{_MISSING_WORDS.get(self.missing, self.missing)}"
            + (f", non-inferiority margin {self.margin:+g}" if self.margin is not None else "")
        )
        return head + table_html(self.summary)

    def __str__(self) -> str:
        import pandas as pd

        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
            return (
                f"BinaryDesign {self.name}: {self.outcome} at week {self.endpoint_week:g}, "
                f"missing={self.missing!r}\n{self.summary.to_string(index=False)}"
            )


# --------------------------------------------------------------------------------------------
# planned tests of simulated power
# --------------------------------------------------------------------------------------------
def _rates_statistic(pooled: bool) -> PlannedTest:
    def statistic(design: BinaryDesign, sims, options) -> dict[str, np.ndarray]:
        exp, ctrl = design.experimental_index, design.control_index
        x, n = sims.counts("nri" if design.missing == "both" else design.missing)
        res = rates_arrays(x[:, exp], n[:, exp], x[:, ctrl], n[:, ctrl],
                           margin=design.margin or 0.0, pooled=pooled)
        return {"z": res.z, "events": x.sum(axis=1).astype(float), "estimate": res.difference}

    return statistic


BinaryDesign.planned_tests = {
    "chi-square": _rates_statistic(pooled=True),
    "normal": _rates_statistic(pooled=True),
    "wald": _rates_statistic(pooled=False),
}
