"""The power calculator's logic, without widgets: inputs -> closed form -> numbers, texts, files.

Everything the calculator page shows is computed here by plain functions, so that it can be tested
without a browser and reused from Python:

- :class:`CalculatorInputs` holds what a grant writer enters (the end point, its assumptions,
  alpha, the side of the test, power or sample size, allocation, interim looks) and
  :data:`PRESETS` the seed trials' figures (``"T1"``, ``"T4"``, ``"T5"``, ``"T7"``);
- :func:`field_errors` checks each field and returns one message per bad field;
- :func:`solve` runs the closed form (:func:`~workbench.power.analytic.power_survival`,
  :func:`~workbench.power.analytic.power_rates`, :func:`~workbench.power.analytic.power_ttest`,
  :func:`~workbench.power.continuous.power_ancova`), with interim looks the group-sequential
  inflation of :func:`~workbench.design.sequential.group_sequential_design`;
- :func:`power_curve_table`, :func:`sensitivity_table`, :func:`paragraph`,
  :func:`design_for` and the file makers (:func:`markdown_file`, :func:`docx_bytes`,
  :func:`figure_bytes`, :func:`design_yaml`) turn a result into what the page shows and offers
  for download; :func:`check_by_simulation` runs :func:`~workbench.power.simulation.simulate_power`
  on the same design.

Examples
--------
>>> res = solve(preset("T1"))
>>> res.n_per_arm, res.n_total, res.events
([92, 92], 184, 64)
>>> res = solve(preset("T5"))
>>> res.n_per_arm, round(res.power, 3)
([280, 280], 0.8)
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from .._validation import (
    check_alternative,
    check_choice,
    check_int,
    check_positive,
    check_probability,
    check_real,
)
from .._version import __version__
from ..exceptions import InvalidParameterError, WorkbenchError
from ..power.report import percent_text as _pct

__all__ = [
    "ENDPOINTS",
    "PRESETS",
    "SPENDING_FUNCTIONS",
    "CalculatorInputs",
    "CalculatorResult",
    "check_by_simulation",
    "design_for",
    "design_yaml",
    "docx_bytes",
    "field_errors",
    "figure",
    "figure_bytes",
    "markdown_file",
    "paragraph",
    "power_at",
    "power_curve_table",
    "preset",
    "relevant_fields",
    "sensitivity_table",
    "simulation_command",
    "solve",
]

#: the end points, as the page names them
ENDPOINTS: dict[str, str] = {
    "survival": "Time to event (recurrence)",
    "rates": "Rates (remission, response)",
    "continuous": "Continuous (HAM-D change)",
}
#: how the time-to-event effect is entered
EFFECT_INPUTS: dict[str, str] = {
    "probabilities": "event probabilities by a time",
    "medians": "median times to event",
    "hazard_ratio": "hazard ratio (with the control probability)",
}
#: alpha spending functions offered for interim looks (rpact's typeOfDesign)
SPENDING_FUNCTIONS: dict[str, str] = {
    "asOF": "O'Brien-Fleming type (Lan-DeMets)",
    "asP": "Pocock type (Lan-DeMets)",
    "OF": "O'Brien-Fleming (classical)",
    "P": "Pocock (classical)",
}
#: the week of the end point in a downloaded continuous design (a label; it changes no number)
CONTINUOUS_ENDPOINT_WEEK = 12.0

_LAN_DEMETS = ("Lan KKG, DeMets DL. Discrete sequential boundaries for clinical trials. "
               "Biometrika 1983;70:659-663.")
_JENNISON = ("Jennison C, Turnbull BW. Group Sequential Methods with Applications to Clinical "
             "Trials. Chapman & Hall/CRC, 2000.")
_BORM = ("Borm GF, Fransen J, Lemmens WA. A simple sample size formula for analysis of "
         "covariance in randomized clinical trials. Journal of Clinical Epidemiology "
         "2007;60:1234-1238.")


@dataclass(frozen=True)
class CalculatorInputs:
    """What the calculator page asks for; the names follow the project's vocabulary.

    Only the fields of the chosen ``endpoint`` matter. ``p1``, ``p2`` are the event probabilities
    by ``at`` (time to event) or the outcome rates (rates), arm 1 experimental, arm 2 control.
    ``n_total`` is the number of patients to enrol when ``solve_for="power"``. ``dropout`` is the
    share of patients without an outcome (rates, continuous); time to event uses
    ``dropout_probability`` by ``dropout_time``. ``rho`` is the correlation of the baseline with
    the end point (0: the t-test; otherwise ANCOVA). ``kmax`` counts the analyses (1: no interim
    analysis), equally spaced in information, with the ``type_of_design`` spending function
    (the names of :func:`~workbench.design.sequential.group_sequential_design`).
    """

    endpoint: str = "survival"
    solve_for: str = "n"
    alpha: float = 0.05
    alternative: str = "two-sided"
    power: float = 0.8
    n_total: float = 200
    allocation_ratio: float = 1.0
    kmax: int = 1
    type_of_design: str = "asOF"
    # time to event
    effect_input: str = "probabilities"
    p1: float = 0.27
    p2: float = 0.47
    at: float = 48.0
    median1: float = 100.0
    median2: float = 50.0
    hazard_ratio: float = 0.5
    accrual_time: float = 24.0
    follow_up: float = 48.0
    follow_up_type: str = "calendar"
    dropout_probability: float = 0.1
    dropout_time: float = 12.0
    method: str = "schoenfeld"
    # rates
    margin: float = 0.0
    # rates and continuous
    dropout: float = 0.0
    # continuous
    difference: float = -4.0
    sd: float = 6.0
    rho: float = 0.0
    # words for the paragraph
    arm_names: tuple[str, str] = ("the experimental arm", "the control arm")
    outcome: str = "event"
    time_unit: str = "months"
    source: str = ""

    def replace(self, **changes) -> CalculatorInputs:
        """The same inputs with some fields changed."""
        return dataclasses.replace(self, **changes)


#: the seed trials' published figures as a grant would state them: the rates, margins and arm names
#: of the design catalogue (``load_design("t4")`` ...); T1's loss to follow-up (10% by 12 months)
#: and calendar follow-up are rpact's reference case, not ``t1.yaml``'s (10% by 48 months, fixed);
#: T7's are ``t7.yaml``'s at week 12, rounded: the correlation with baseline 0.7 ** 3 (AR(1) over
#: three visits) and the drop-out 1 - 0.95 ** 3
PRESETS: dict[str, dict[str, Any]] = {
    "T1": dict(
        endpoint="survival", effect_input="probabilities", p1=0.27, p2=0.47, at=48.0,
        accrual_time=24.0, follow_up=48.0, follow_up_type="calendar", dropout_probability=0.1,
        dropout_time=12.0, alpha=0.05, alternative="two-sided", power=0.8, allocation_ratio=1.0,
        arm_names=("combination", "pharmacotherapy"), outcome="recurrence", time_unit="months",
        source="trial T1: 27% vs 47% recurrence by 48 months",
    ),
    "T4": dict(
        endpoint="rates", p1=0.57, p2=0.68, margin=0.0, dropout=0.0, alpha=0.05,
        alternative="two-sided", power=0.8, allocation_ratio=1.0, arm_names=("pdt", "fluoxetine"),
        outcome="remission", source="trial T4: 57% vs 68% remission at week 16",
    ),
    "T5": dict(
        endpoint="rates", p1=0.23, p2=0.23, margin=-0.1, dropout=0.0, alpha=0.025,
        alternative="greater", power=0.8, allocation_ratio=1.0, arm_names=("pdt", "cbt"),
        outcome="remission",
        source="trial T5: about 23% remission in each arm; non-inferiority margin 10 points",
    ),
    "T7": dict(
        endpoint="continuous", difference=-4.0, sd=6.0, rho=0.343, dropout=0.143, alpha=0.05,
        alternative="two-sided", power=0.8, allocation_ratio=1.0, arm_names=("pdt", "usual care"),
        outcome="HAM-D at week 12",
        source="a T7-like design: HAM-D 11 vs 15 at week 12, SD 6",
    ),
}


def preset(name: str, **changes) -> CalculatorInputs:
    """The inputs of a seed trial (``"T1"``, ``"T4"``, ``"T5"``, ``"T7"``), with changes.

    >>> preset("T4").p1, preset("T4", power=0.9).power
    (0.57, 0.9)
    """
    key = check_choice("preset", str(name).upper(), PRESETS)
    return CalculatorInputs(**{**PRESETS[key], "kmax": 1, **changes})


# --------------------------------------------------------------------------------------------
# checks, one message per field
# --------------------------------------------------------------------------------------------
def _fraction(name, x):
    if not isinstance(x, int | float) or isinstance(x, bool) or not 0 <= x < 1:
        raise InvalidParameterError(f"`{name}` must be in [0, 1); got {x!r}.")


def _fields_of(inputs: CalculatorInputs) -> dict[str, Callable[[str, Any], Any]]:
    """The checks of the fields that matter for ``inputs``, by field name."""
    checks: dict[str, Callable[[str, Any], Any]] = {
        "endpoint": lambda n, x: check_choice(n, x, ENDPOINTS),
        "solve_for": lambda n, x: check_choice(n, x, ("n", "power")),
        "alpha": check_probability,
        "alternative": lambda n, x: check_alternative(x),
        "allocation_ratio": check_positive,
        "kmax": lambda n, x: check_int(n, x, minimum=1),
    }
    if isinstance(inputs.kmax, int) and inputs.kmax > 1:
        checks["type_of_design"] = lambda n, x: check_choice(n, x, SPENDING_FUNCTIONS)
    if inputs.solve_for == "n":
        checks["power"] = check_probability
    else:
        checks["n_total"] = lambda n, x: check_int(n, x, minimum=4)
    if inputs.endpoint == "survival":
        checks.update(
            effect_input=lambda n, x: check_choice(n, x, EFFECT_INPUTS),
            accrual_time=lambda n, x: check_positive(n, x, allow_zero=True),
            follow_up=check_positive,
            follow_up_type=lambda n, x: check_choice(n, x, ("calendar", "fixed")),
            dropout_probability=_fraction,
            dropout_time=check_positive,
            method=lambda n, x: check_choice(n, x, ("schoenfeld", "freedman", "hsieh-freedman")),
        )
        if inputs.effect_input == "probabilities":
            checks.update(p1=check_probability, p2=check_probability, at=check_positive)
        elif inputs.effect_input == "medians":
            checks.update(median1=check_positive, median2=check_positive)
        else:
            checks.update(hazard_ratio=check_positive, p2=check_probability, at=check_positive)
    elif inputs.endpoint == "rates":
        checks.update(p1=check_probability, p2=check_probability, dropout=_fraction,
                      margin=lambda n, x: _margin(x))
    else:
        checks.update(difference=check_real, sd=check_positive, dropout=_fraction,
                      rho=lambda n, x: _correlation(x))
    return checks


def relevant_fields(inputs: CalculatorInputs) -> list[str]:
    """The fields that matter for ``inputs`` (its end point, effect input and what is solved).

    >>> "margin" in relevant_fields(preset("T4")), "margin" in relevant_fields(preset("T1"))
    (True, False)
    """
    return list(_fields_of(inputs))


def _margin(x):
    if not isinstance(x, int | float) or isinstance(x, bool) or not -1 < x < 1:
        raise InvalidParameterError(f"`margin` must be in (-1, 1) (0: superiority); got {x!r}.")


def _correlation(x):
    if not isinstance(x, int | float) or isinstance(x, bool) or not 0 <= x < 1:
        raise InvalidParameterError(
            f"`rho` must be in [0, 1) (0: no baseline adjustment, the t-test); got {x!r}.")


_NAME = re.compile(r"`-*([A-Za-z_0-9]+)`")


def field_of_message(message: str, inputs: CalculatorInputs) -> str:
    """The input field a library error message names (its first back-quoted name), else ``""``.

    >>> field_of_message("`p1` must be in (0, 1); got 1.2.", CalculatorInputs())
    'p1'
    """
    aliases = {"dropout_rate": "dropout_probability", "n1": "n_total", "n2": "n_total",
               "effect_size": "difference", "beta": "power", "event_time": "at", "lambda2": "p2"}
    fields = {f.name for f in dataclasses.fields(inputs)}
    for name in _NAME.findall(message):
        name = aliases.get(name, name)
        if name in fields:
            if inputs.endpoint == "survival" and inputs.effect_input == "medians" and name in (
                    "hazard_ratio", "p1", "p2", "at"):
                return "median1"
            return name
    return ""


def field_errors(inputs: CalculatorInputs) -> dict[str, str]:
    """One message per bad field of ``inputs`` (empty when every field is fine).

    The messages name the parameter, the value and what is allowed; a problem of the whole
    combination (no sample size reaches the power, for example) is reported under the field the
    library names, or under ``""``.

    >>> field_errors(preset("T1", p1=1.2))
    {'p1': '`p1` must be in (0, 1); got 1.2.'}
    >>> field_errors(preset("T1", dropout_probability=-0.1))
    {'dropout_probability': '`dropout_probability` must be in [0, 1); got -0.1.'}
    """
    errors: dict[str, str] = {}
    for name, check in _fields_of(inputs).items():
        try:
            check(name, getattr(inputs, name))
        except InvalidParameterError as exc:
            errors[name] = str(exc)
    if errors:
        return errors
    if inputs.endpoint == "rates" and inputs.margin:
        want = "greater" if inputs.margin < 0 else "less"
        if inputs.alternative != want:
            errors["alternative"] = (
                f"`alternative` must be {want!r} with a non-inferiority margin of "
                f"{inputs.margin:g} (one-sided in the direction of benefit); "
                f"got {inputs.alternative!r}.")
    if inputs.endpoint == "survival" and inputs.effect_input == "hazard_ratio" and (
            inputs.hazard_ratio == 1):
        errors["hazard_ratio"] = "`hazard_ratio` must differ from 1; got 1."
    if inputs.endpoint == "survival" and inputs.effect_input == "medians" and (
            inputs.median1 == inputs.median2):
        errors["median1"] = "`median1` must differ from `median2` (no effect to detect)."
    if inputs.endpoint == "continuous" and inputs.difference == 0:
        errors["difference"] = "`difference` must not be 0 (no effect to detect)."
    return errors


# --------------------------------------------------------------------------------------------
# solving
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CalculatorResult:
    """The numbers the page shows for one set of inputs.

    ``closed`` is the fixed-design closed-form result (SurvivalPower, RatesPower, TTestPower or
    AncovaPower). ``n_per_arm`` (experimental, control), ``n_total`` and ``events`` are the
    patients to enrol and the events needed (None for end points without events); with interim
    looks they are the maxima of the group-sequential design. ``power`` is the power at that size.
    """

    inputs: CalculatorInputs
    closed: Any
    n_per_arm: list[int]
    n_total: int
    events: int | None
    power: float
    hazard_ratio: float | None = None
    sequential: Any = None
    inflation_factor: float = 1.0
    notes: tuple[str, ...] = field(default=())

    @property
    def method(self) -> str:
        """The closed form in words."""
        i = self.inputs
        if i.endpoint == "survival":
            name = {"schoenfeld": "Schoenfeld", "freedman": "Freedman",
                    "hsieh-freedman": "Hsieh-Freedman"}[i.method]
            return (f"log-rank test, events by {name}'s formula, patients from the probability "
                    "of an event during accrual and follow-up (as rpact)")
        if i.endpoint == "rates":
            return ("Farrington-Manning non-inferiority test (normal approximation)" if i.margin
                    else "two-proportion z-test (normal approximation, as rpact)")
        return ("ANCOVA on baseline (noncentral t)" if i.rho
                else "two-sample t-test (noncentral t)")


def _hazards(i: CalculatorInputs) -> tuple[float, float]:
    """The exponential hazards (experimental, control) the inputs describe."""
    if i.effect_input == "medians":
        return math.log(2) / i.median1, math.log(2) / i.median2
    lam2 = -math.log1p(-i.p2) / i.at
    if i.effect_input == "hazard_ratio":
        return lam2 * i.hazard_ratio, lam2
    return -math.log1p(-i.p1) / i.at, lam2


def _closed_form(i: CalculatorInputs, *, n_total: float | None, power: float | None):
    """The fixed-design closed form at ``n_total`` enrolled patients or for ``power``."""
    from ..power.analytic import power_rates, power_survival, power_ttest
    from ..power.continuous import power_ancova

    common: dict[str, Any] = dict(alpha=i.alpha, alternative=i.alternative,
                                  allocation_ratio=i.allocation_ratio)
    if i.endpoint == "survival":
        if i.effect_input == "probabilities":
            effect: dict[str, Any] = dict(p1=i.p1, p2=i.p2, at=i.at)
        else:
            lam1, lam2 = _hazards(i)
            effect = dict(hazard_ratio=lam1 / lam2, lambda2=lam2)
        loss: dict[str, Any] = (
            dict(dropout_probability=i.dropout_probability, dropout_time=i.dropout_time)
            if i.dropout_probability > 0 else {})
        return power_survival(**effect, **loss, **common, n_total=n_total, power=power,
                              method=i.method, accrual_time=i.accrual_time,
                              follow_up=i.follow_up, follow_up_type=i.follow_up_type)
    analysable = None if n_total is None else n_total * (1 - i.dropout)
    if i.endpoint == "rates":
        return power_rates(i.p1, i.p2, n_total=analysable, power=power, margin=i.margin,
                           dropout=i.dropout, **common)
    if i.rho:
        return power_ancova(difference=i.difference, sd=i.sd, rho=i.rho, n_total=analysable,
                            power=power, dropout=i.dropout, **common)
    return power_ttest(difference=i.difference, sd=i.sd, n_total=analysable, power=power,
                       dropout=i.dropout, **common)


@lru_cache(maxsize=64)
def _group_sequential(kmax: int, alpha: float, beta: float, alternative: str,
                      type_of_design: str):
    from ..design.sequential import group_sequential_design

    return group_sequential_design(kmax=kmax, alpha=alpha, beta=beta, alternative=alternative,
                                   type_of_design=type_of_design)


def _sequential_design(i: CalculatorInputs):
    """The group-sequential design of ``i``'s looks (beta 0.2 when power is what is solved)."""
    beta = 1 - i.power if i.solve_for == "n" else 0.2
    return _group_sequential(i.kmax, i.alpha, beta, i.alternative, i.type_of_design)


def _sequential_power(gsd, fixed_power: float, i: CalculatorInputs) -> float:
    """Power of the group-sequential design where the fixed design has ``fixed_power``.

    The drift is that of the normal approximation at the fixed design's information.
    """
    from scipy.stats import norm

    from ..design.sequential import boundary_crossing

    sides = 2 if i.alternative == "two-sided" else 1
    drift = float(norm.isf(i.alpha / sides) + norm.ppf(min(max(fixed_power, 1e-12), 1 - 1e-12)))
    cross = boundary_crossing(gsd, drift)
    total = float(cross["p_upper"].sum())
    if sides == 2:
        total += float(cross["p_lower"].sum())
    return total


def _enrolled_exact(i: CalculatorInputs, closed) -> list[float]:
    """Unrounded patients to enrol per arm (experimental, control) of a fixed-design result."""
    if i.endpoint == "survival":
        return list(closed.n_exact)
    return [x / (1 - i.dropout) for x in closed.n_exact]


def solve(inputs: CalculatorInputs) -> CalculatorResult:
    """Sample size (or power) of ``inputs`` by the closed form, with interim looks if asked.

    Raises
    ------
    InvalidParameterError
        A bad field (the first of :func:`field_errors`), or a combination no size can satisfy.

    Examples
    --------
    >>> res = solve(preset("T4"))
    >>> res.n_per_arm, res.n_total
    ([303, 303], 606)
    >>> res = solve(preset("T4", kmax=3))
    >>> res.n_total, round(res.inflation_factor, 4)
    (614, 1.0128)
    """
    errors = field_errors(inputs)
    if errors:
        raise InvalidParameterError(next(iter(errors.values())))
    i = inputs
    notes: list[str] = []
    if i.solve_for == "n":
        closed = _closed_form(i, n_total=None, power=i.power)
    else:
        closed = _closed_form(i, n_total=float(i.n_total), power=None)
    hr = closed.hazard_ratio if i.endpoint == "survival" else None
    events = closed.events if i.endpoint == "survival" else None
    n_per_arm, n_total, power = list(closed.n_per_arm), int(closed.n_total), float(closed.power)
    if i.solve_for == "power":
        n_per_arm, n_total = _split(i.n_total, i.allocation_ratio)
        if events is not None:
            events = int(round(closed.events_exact))
    gsd, inflation = None, 1.0
    if i.kmax > 1:
        gsd = _sequential_design(i)
        if i.solve_for == "n":
            inflation = float(gsd.inflation_factor)
            n_per_arm = [math.ceil(x * inflation - 1e-9) for x in _enrolled_exact(i, closed)]
            n_total = sum(n_per_arm)
            if events is not None:
                events = math.ceil(closed.events_exact * inflation - 1e-9)
            power = i.power
        else:
            power = _sequential_power(gsd, float(closed.power), i)
            notes.append("power with interim looks by the normal approximation of the drift")
    return CalculatorResult(inputs=i, closed=closed, n_per_arm=n_per_arm, n_total=n_total,
                            events=events, power=power, hazard_ratio=hr, sequential=gsd,
                            inflation_factor=inflation, notes=tuple(notes))


def _split(n_total: float, allocation_ratio: float) -> tuple[list[int], int]:
    n = int(n_total)
    n1 = round(n * allocation_ratio / (1 + allocation_ratio))
    return [n1, n - n1], n


def power_at(inputs: CalculatorInputs, n_total: float) -> float:
    """Closed-form power of ``inputs`` with ``n_total`` patients enrolled (interim looks too).

    >>> round(power_at(preset("T1"), 184), 3)
    0.801
    """
    i = inputs
    p = float(_closed_form(i, n_total=float(n_total), power=None).power)
    if i.kmax > 1:
        p = _sequential_power(_sequential_design(i), p, i)
    return p


def power_curve_table(result: CalculatorResult, points: int = 41) -> pd.DataFrame:
    """Closed-form power over total sample sizes around the result's, one row per size.

    Columns ``n_total, power``; the sizes run from a fifth to twice the result's total.
    """
    n = result.n_total
    lo, hi = max(4, int(n * 0.2)), max(8, int(n * 2))
    sizes = sorted({int(round(lo + (hi - lo) * k / (points - 1))) for k in range(points)} | {n})
    return pd.DataFrame({"n_total": sizes,
                         "power": [power_at(result.inputs, s) for s in sizes]})


def _smaller_effect(i: CalculatorInputs, factor: float) -> CalculatorInputs:
    """The inputs with the effect ``factor`` times as large (on the scale of the test)."""
    if i.endpoint == "survival":
        lam1, lam2 = _hazards(i)
        hr = (lam1 / lam2) ** factor
        if i.effect_input == "medians":
            return i.replace(median1=i.median2 / hr)
        if i.effect_input == "hazard_ratio":
            return i.replace(hazard_ratio=hr)
        return i.replace(p1=-math.expm1(-lam2 * hr * i.at))
    if i.endpoint == "rates":
        return i.replace(p1=i.p2 + i.margin + factor * (i.p1 - i.p2 - i.margin))
    return i.replace(difference=i.difference * factor)


def _more_dropout(i: CalculatorInputs, factor: float) -> CalculatorInputs:
    if i.endpoint == "survival":
        return i.replace(dropout_probability=min(i.dropout_probability * factor, 0.99))
    return i.replace(dropout=min(i.dropout * factor, 0.99))


def sensitivity_table(result: CalculatorResult) -> pd.DataFrame:
    """Power at the planned size, and the size needed, if the effect or the drop-out is off.

    The rows: as entered, the effect 20% smaller, the drop-out doubled.
    Columns ``scenario, power, n_total_needed`` (patients for the target power, None where no
    size reaches it). The effect is scaled on the test's scale: the log hazard ratio, the
    difference beyond the non-inferiority margin, the mean difference.
    """
    i = result.inputs
    target = i.power
    rows = []
    loss = i.dropout_probability if i.endpoint == "survival" else i.dropout
    doubled = (f"drop-out doubled ({100 * min(2 * loss, 0.99):.3g}%)" if loss > 0
               else "drop-out doubled (none entered)")
    for label, changed in (
        ("as entered", i),
        ("effect 20% smaller", _smaller_effect(i, 0.8)),
        (doubled, _more_dropout(i, 2.0)),
    ):
        try:
            power = power_at(changed, result.n_total)
        except WorkbenchError:
            power = math.nan
        try:
            needed: int | None = solve(changed.replace(solve_for="n", power=target)).n_total
        except WorkbenchError:
            needed = None
        rows.append({"scenario": label, "power": power, "n_total_needed": needed})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# texts
# --------------------------------------------------------------------------------------------
#: what the closed form of each kind of design was checked against, for the software sentence
_CHECKED = {
    "survival": ", whose closed forms agree with the R package rpact 3.3.4",
    "rates": ", whose closed forms agree with the R package rpact 3.3.4",
    "ttest": ", whose t-test power agrees with R's power.t.test",
    "ancova": "",
}


def _kind(i: CalculatorInputs) -> str:
    if i.endpoint != "continuous":
        return i.endpoint
    return "ancova" if i.rho else "ttest"


def _reference_keys(result: CalculatorResult) -> list[str]:
    i, c = result.inputs, result.closed
    if i.endpoint == "survival":
        return [c.method, "rpact"]
    if i.endpoint == "rates":
        return ["farrington-manning" if i.margin else "normal", "rpact"]
    return [] if i.rho else ["ttest"]


def _ancova_text(result: CalculatorResult, md: bool) -> str:
    i, c = result.inputs, result.closed
    e, k = i.arm_names
    b = (lambda s: f"**{s}**") if md else (lambda s: s)
    side = "two-sided" if i.alternative == "two-sided" else "one-sided"
    n_ev = [math.ceil(x - 1e-9) for x in c.n_exact]
    text = (f"The sample size is based on a {side} analysis of covariance adjusting for the "
            f"baseline score at the {_pct(i.alpha)} significance level. We assume a difference in "
            f"{i.outcome} of {abs(i.difference):g} points between {e} and {k} with a standard "
            f"deviation of {i.sd:g} and a correlation of {i.rho:g} between baseline and end point"
            + (f" ({i.source})" if i.source else "") + ". ")
    if i.solve_for == "n":
        text += (f"Detecting it with {b(_pct(i.power))} power requires {sum(n_ev)} evaluable "
                 f"patients ({n_ev[0]} {e}, {n_ev[1]} {k}) (Borm et al. 2007)")
    else:
        text += (f"With {sum(n_ev)} evaluable patients the trial has {b(_pct(c.power))} power "
                 "(Borm et al. 2007)")
    if i.dropout > 0:
        text += (f"; allowing for {_pct(i.dropout)} drop-out, "
                 f"{b(f'{c.n_total} patients ({c.n_per_arm[0]} {e}, {c.n_per_arm[1]} {k})')} "
                 "will be randomised.")
    else:
        text += "."
    return text


def paragraph(result: CalculatorResult, *, format: str = "markdown", simulation: Any = None,
              references: bool = True) -> str:
    """The grant paragraph of ``result``: design, assumptions, numbers, method and software.

    :func:`~workbench.power.report.grant_paragraph` with the interim looks, the software and an
    optional simulation check added, and the references at the end.

    >>> text = paragraph(solve(preset("T1")), format="text", references=False)
    >>> "64 recurrences" in text and "184 patients (92 per arm)" in text
    True
    """
    from ..power.report import REFERENCES, grant_paragraph

    check_choice("format", format, ("text", "markdown"))
    i, md = result.inputs, format == "markdown"
    b = (lambda s: f"**{s}**") if md else (lambda s: s)
    extra_refs: list[str] = []
    if i.endpoint == "continuous" and i.rho:
        text = _ancova_text(result, md)
        extra_refs.append(_BORM)
    else:
        text = grant_paragraph(result.closed, source=i.source or None,
                               arm_names=(i.arm_names[0], i.arm_names[1]), outcome=i.outcome,
                               time_unit=i.time_unit, format=format, references=False)
    gsd = result.sequential
    if gsd is not None:
        rates = ", ".join(f"{t:.2f}".rstrip("0").rstrip(".") for t in gsd.information_rates)
        interim = "interim analysis" if i.kmax == 2 else "interim analyses"
        text += (f" The trial has {i.kmax - 1} {interim} and a final analysis at information "
                 f"fractions {rates}, with {SPENDING_FUNCTIONS[i.type_of_design]} boundaries "
                 "(Lan and DeMets 1983)")
        if i.solve_for == "n":
            what = f"{result.events} {i.outcome}s and " if result.events is not None else ""
            text += (f"; this inflates the sample size by a factor of "
                     f"{result.inflation_factor:.3f} to a maximum of "
                     f"{b(f'{what}{result.n_total} patients')} "
                     f"({result.n_per_arm[0]} {i.arm_names[0]}, "
                     f"{result.n_per_arm[1]} {i.arm_names[1]}), as rpact's group-sequential "
                     "sample sizes.")
        else:
            text += f"; with them the trial has {b(_pct(result.power))} power."
        extra_refs += [_LAN_DEMETS, _JENNISON]
    if simulation is not None:
        sim_text = grant_paragraph(simulation, format=format, references=False)
        text += " " + sim_text
    text += f" Computed with outcome-workbench {__version__} (Python){_CHECKED[_kind(i)]}."

    if not references:
        return text
    refs = [REFERENCES[k] for k in _reference_keys(result)] + extra_refs
    if gsd is not None:
        refs.append(REFERENCES["rpact"])
    if simulation is not None:
        refs.append(REFERENCES["simulation"])
    refs = list(dict.fromkeys(refs))
    if md:
        return text + "\n\n**References**\n\n" + "\n".join(f"- {r}" for r in refs)
    return text + "\n\nReferences: " + " ".join(refs)


def markdown_file(result: CalculatorResult, *, simulation: Any = None) -> str:
    """A Markdown document: a heading, the paragraph and its references."""
    return ("# Sample size\n\n" + paragraph(result, format="markdown", simulation=simulation)
            + "\n")


def docx_bytes(result: CalculatorResult, *, simulation: Any = None) -> bytes:
    """A Word document (python-docx): a heading, the paragraph and the references.

    The key numbers are in bold, as in the Markdown.
    """
    from docx import Document

    doc = Document()
    doc.add_heading("Sample size", level=1)
    body, _, refs = paragraph(result, format="markdown", simulation=simulation).partition(
        "\n\n**References**\n\n")
    para = doc.add_paragraph()
    for k, piece in enumerate(body.split("**")):
        if piece:
            para.add_run(piece).bold = k % 2 == 1
    if refs:
        doc.add_heading("References", level=2)
        for line in refs.splitlines():
            doc.add_paragraph(line.removeprefix("- "), style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# the figure
# --------------------------------------------------------------------------------------------
def figure(result: CalculatorResult, curve: pd.DataFrame | None = None):
    """The power curve over the total sample size with the chosen size marked.

    A matplotlib Figure made without pyplot, so that nothing stays open.
    """
    from matplotlib.figure import Figure

    from ..plotting import plot_power_curve

    curve = power_curve_table(result) if curve is None else curve
    fig = Figure(figsize=(6.4, 3.6))
    # fixed margins: a layout engine would draw the figure twice on every change
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.15, top=0.9)
    ax = fig.add_subplot()
    plot_power_curve(curve, ax=ax, x="n_total", target=result.inputs.power,
                     legend=False, title="Power by total sample size")
    ax.plot([result.n_total], [result.power], marker="o", markersize=8, color="black",
            zorder=5, linestyle="none")
    ax.annotate(f"n = {result.n_total}, power {100 * result.power:.1f}%",
                (result.n_total, result.power), textcoords="offset points", xytext=(8, -14),
                fontsize=9)
    ax.set_xlabel("total sample size (patients)")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1)
    return fig


def figure_bytes(result: CalculatorResult, fmt: str = "png", curve: pd.DataFrame | None = None,
                 dpi: int = 100) -> bytes:
    """The figure as PNG or SVG bytes."""
    check_choice("fmt", fmt, ("png", "svg"))
    buf = io.BytesIO()
    figure(result, curve).savefig(buf, format=fmt, dpi=dpi)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# the design file
# --------------------------------------------------------------------------------------------
def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_") or "arm"


def design_for(result: CalculatorResult):
    """The trial design with the result's sizes, arm 1 experimental.

    A SurvivalDesign (exponential arms), a BinaryDesign (complete-case analysis, so that drop-out
    removes outcomes as the closed form assumes) or a ContinuousDesign (baseline and one
    end-point visit).

    Without interim looks the design reproduces the closed form by simulation.
    """
    from ..design import (
        Arm,
        BinaryArm,
        BinaryDesign,
        ContinuousArm,
        ContinuousDesign,
        Exponential,
        SurvivalDesign,
    )

    i = result.inputs
    e, c = _slug(i.arm_names[0]), _slug(i.arm_names[1])
    if e == c:
        e, c = e + "_1", c + "_2"
    n1, n2 = result.n_per_arm
    name = f"calculator: {i.source}" if i.source else "power calculator"
    if i.endpoint == "survival":
        lam1, lam2 = _hazards(i)
        dropout = (SurvivalDesign.dropout_from_probability(i.dropout_probability, i.dropout_time)
                   if i.dropout_probability > 0 else 0.0)
        return SurvivalDesign(
            arms=(Arm(e, n1, Exponential(lam1)), Arm(c, n2, Exponential(lam2))),
            accrual_time=i.accrual_time, follow_up=i.follow_up,
            follow_up_type=i.follow_up_type, dropout_rate=dropout, time_unit=i.time_unit,
            name=name)
    if i.endpoint == "rates":
        return BinaryDesign(
            arms=(BinaryArm(e, n1, i.p1), BinaryArm(c, n2, i.p2)), dropout=i.dropout,
            missing="complete_case", outcome=i.outcome, higher_is_better=not i.margin > 0,
            reference=c, margin=i.margin or None, name=name)
    return ContinuousDesign(
        arms=(ContinuousArm(c, n2, (0.0, 0.0)), ContinuousArm(e, n1, (0.0, i.difference))),
        weeks=(0.0, CONTINUOUS_ENDPOINT_WEEK), sd=(i.sd, i.sd), covariance="compound_symmetry",
        rho=i.rho, dropout=(i.dropout,) if i.dropout > 0 else None, name=name)


def _planned_test(i: CalculatorInputs) -> str:
    if i.endpoint == "survival":
        return "logrank"
    if i.endpoint == "rates":
        return "chi-square"
    return "ancova" if i.rho else "t-test"


def simulation_command(result: CalculatorResult, file: str = "design.yaml", reps: int = 10_000,
                       seed: int = 1) -> str:
    """The command line that simulates the downloaded design with the page's test settings."""
    i = result.inputs
    return (f"workbench power simulate {file} --test {_planned_test(i)} --alpha {i.alpha:g} "
            f"--alternative {i.alternative} --reps {reps} --seed {seed}")


def design_yaml(result: CalculatorResult) -> str:
    """The design as YAML (as its ``to_yaml`` writes), after comments on how to re-run it.

    ``workbench power simulate FILE`` and the notebooks read it.
    """
    i = result.inputs
    d = design_for(result)
    head = [
        "# Design from the workbench power calculator",
        f"# closed form: {result.method}; alpha {i.alpha:g} ({i.alternative}); "
        f"power {100 * result.power:.1f}% with {result.n_total} patients"
        + (f" and {result.events} events" if result.events is not None else ""),
    ]
    if i.kmax > 1:
        head.append(f"# sizes are the maximum of {i.kmax} analyses ({i.type_of_design} "
                    "spending); the simulation checks one final analysis at this size")
    head.append(f"# re-run: {simulation_command(result)}")
    return "\n".join(head) + "\n" + d.to_yaml()


def check_by_simulation(result: CalculatorResult, *, n_reps: int = 10_000, rng: Any = 1,
                        progress: bool | None = None):
    """Simulated power of the result's design (:func:`design_for`) with its planned test.

    :func:`~workbench.power.simulation.simulate_power` at the page's alpha and side.
    """
    from ..power.simulation import simulate_power

    i = result.inputs
    return simulate_power(design_for(result), n_reps=n_reps, test=_planned_test(i),
                          alpha=i.alpha, alternative=i.alternative, rng=rng,
                          chunk_size=1000, progress=progress)
