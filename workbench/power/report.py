"""Sample-size paragraphs for grant applications and protocols.

:func:`grant_paragraph` turns a power result into the paragraph a grant or protocol needs: the
design and test, alpha and the side of the test (two-sided or one-sided, from the result's
``alternative``), the assumed rates or hazards and where they come from, the power, events,
patients per arm with the inflation for drop-out, and the method's reference. Plain text or
Markdown.

Examples
--------
>>> from workbench.power.analytic import power_survival
>>> res = power_survival(p1=0.27, p2=0.47, at=48, accrual_time=24, follow_up=48,
...                      dropout_probability=0.1, dropout_time=12, power=0.8)
>>> text = grant_paragraph(res, source="trial T1: 27% vs 47% recurrence by 48 months",
...                        arm_names=("combination therapy", "pharmacotherapy alone"),
...                        outcome="recurrence")
>>> "64 recurrences" in text and "184 patients (92 per arm)" in text
True
"""

from __future__ import annotations

import math
from typing import Any

from .._validation import check_choice
from ..exceptions import InvalidParameterError

__all__ = ["grant_paragraph", "percent_text", "REFERENCES"]

#: full citations of the methods, keyed by short name
REFERENCES: dict[str, str] = {
    "schoenfeld": "Schoenfeld D. Sample-size formula for the proportional-hazards regression "
                  "model. Biometrics 1983;39:499-503.",
    "freedman": "Freedman LS. Tables of the number of patients required in clinical trials using "
                "the logrank test. Statistics in Medicine 1982;1:121-129.",
    "hsieh-freedman": "Hsieh FY. Comparing sample size formulae for trials with unbalanced "
                      "allocation using the logrank test. Statistics in Medicine "
                      "1992;11:1091-1098.",
    "rpact": "Wassmer G, Pahlke F. rpact: Confirmatory Adaptive Clinical Trial Design and "
             "Analysis. R package, https://www.rpact.org.",
    "normal": "Fleiss JL, Levin B, Paik MC. Statistical Methods for Rates and Proportions, 3rd ed. "
              "Wiley, 2003 (normal approximation, pooled variance under the null).",
    "farrington-manning": "Farrington CP, Manning G. Test statistics and sample size formulae for "
                          "comparative binomial trials with null hypothesis of non-zero risk "
                          "difference or non-unity relative risk. Statistics in Medicine "
                          "1990;9:1447-1454.",
    "arcsine": "Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed. "
               "Lawrence Erlbaum, 1988.",
    "ttest": "Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed. "
             "Lawrence Erlbaum, 1988 (two-sample t-test, noncentral t).",
    "simulation": "Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate "
                  "statistical methods. Statistics in Medicine 2019;38:2074-2102.",
}

_SHORT = {
    "schoenfeld": "Schoenfeld 1983",
    "freedman": "Freedman 1982",
    "hsieh-freedman": "Hsieh 1992",
    "normal": "Fleiss et al. 2003",
    "farrington-manning": "Farrington and Manning 1990",
    "arcsine": "Cohen 1988",
    "ttest": "Cohen 1988",
    "simulation": "Morris et al. 2019",
}


def percent_text(x: float, digits: int = 0) -> str:
    """A proportion as a percentage for prose: whole percents, one decimal below 10%.

    >>> percent_text(0.27), percent_text(0.025), percent_text(0.8, 1)
    ('27%', '2.5%', '80.0%')
    """
    v = 100 * x
    if digits == 0 and abs(v - round(v)) > 1e-9 and abs(v) < 10:
        digits = 1
    return f"{v:.{digits}f}%"


_pct = percent_text  # the short name the sentences below use


def _num(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def _side(res) -> str:
    """"two-sided" or "one-sided", from the result's ``alternative``.

    Results that only carry rpact's ``sided``, 1 or 2, are read from that.
    """
    alternative = getattr(res, "alternative", None)
    if alternative is None:
        return "two-sided" if res.sided == 2 else "one-sided"
    return "two-sided" if alternative == "two-sided" else "one-sided"


def _b(text: str, md: bool) -> str:
    return f"**{text}**" if md else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("s") else f"{n} {word}"


def _per_arm(n_per_arm, arm_names) -> str:
    a, b = n_per_arm
    if a == b:
        return f"{a} per arm"
    return f"{a} {arm_names[0]}, {b} {arm_names[1]}"


def _and(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _survival(res, *, source, arm_names, outcome, time_unit, md) -> tuple[str, list[str]]:
    e, c = arm_names
    refs = [res.method]
    parts = []
    parts.append(
        f"The sample size is based on a {_side(res)} log-rank test at the "
        f"{_pct(res.alpha, 1 if res.alpha < 0.01 else 0)} significance level"
        + (" with 1:1 allocation" if abs(res.allocation_ratio - 1) < 1e-9
           else f" with {res.n_per_arm[0]}:{res.n_per_arm[1]} allocation ({e} : {c})"
           if res.solved_for != "events" and res.n_per_arm
           else f" with {res.allocation_ratio:g}:1 allocation ({e} : {c})")
        + "."
    )
    if res.p1 is not None and res.p2 is not None and res.at is not None:
        assume = (f"We assume {outcome} by {res.at:g} {time_unit} of {_pct(res.p1)} with {e} and "
                  f"{_pct(res.p2)} with {c}")
        if source:
            assume += f" ({source})"
        assume += (f", that is exponential hazards of {res.lambda1:.4f} and {res.lambda2:.4f} per "
                   f"{time_unit.rstrip('s')} and a hazard ratio of {_num(res.hazard_ratio)}.")
    else:
        assume = f"We assume a hazard ratio of {_num(res.hazard_ratio)} ({e} vs {c})"
        assume += f" ({source})." if source else "."
    parts.append(assume)
    method = {"schoenfeld": "Schoenfeld's formula", "freedman": "Freedman's formula",
              "hsieh-freedman": "the Hsieh-Freedman formula"}[res.method]
    cite = f" ({_SHORT[res.method]})"
    if res.solved_for == "events":
        needed = _b(f"{res.events} {outcome}s", md)
        parts.append(
            f"Detecting this hazard ratio with {_b(_pct(res.power), md)} power requires "
            f"{needed} by {method}{cite}."
        )
    elif res.solved_for == "power":
        parts.append(
            f"With {res.events_exact:.1f} expected {outcome}s the trial has "
            f"{_b(_pct(res.power), md)} power to detect this hazard ratio by {method}{cite}."
        )
    else:
        parts.append(
            f"With {res.events_exact:.1f} expected {outcome}s the trial has "
            f"{_pct(res.power)} power to detect a hazard ratio of "
            f"{_b(_num(res.hazard_ratio), md)} by {method}{cite}."
        )
    if res.n_total is not None:
        follow = (f"follow-up for {res.follow_up:g} {time_unit} after the end of accrual"
                  if res.follow_up_type == "calendar"
                  else f"every patient followed for {res.follow_up:g} {time_unit}")
        accrual = (f"uniform accrual over {res.accrual_time:g} {time_unit}"
                   if res.accrual_time > 0 else "")
        if res.dropout_rate > 0:
            if res.dropout_probability is not None:
                loss = (f"{_pct(res.dropout_probability)} loss to follow-up by "
                        f"{res.dropout_time:g} {time_unit}")
            else:
                loss = (f"loss to follow-up at a rate of {res.dropout_rate:.4f} per "
                        f"{time_unit.rstrip('s')}")
        else:
            loss = ""
        pe1, pe2 = res.p_event
        sentence = (f"With {_and([accrual, follow, loss])}, a patient's {outcome} is observed with "
                    f"probability {_pct(pe1)} ({e}) and {_pct(pe2)} ({c}), ")
        if res.solved_for == "events":
            patients = f"{res.n_total} patients ({_per_arm(res.n_per_arm, arm_names)})"
            sentence += f"so {_b(patients, md)} are needed"
            if res.dropout_rate > 0 and res.n_total_no_dropout is not None:
                sentence += (f"; without loss to follow-up {res.n_total_no_dropout} would suffice, "
                             "so the allowance for drop-out adds "
                             f"{res.n_total - res.n_total_no_dropout} patients")
            sentence += "."
        else:
            sentence += (f"so {res.n_total} patients ({_per_arm(res.n_per_arm, arm_names)}) give "
                         f"{res.events_exact:.1f} expected {outcome}s.")
        parts.append(sentence)
    return " ".join(parts), refs


def _rates(res, *, source, arm_names, outcome, md) -> tuple[str, list[str]]:
    e, c = arm_names
    if res.method == "arcsine":
        key = "arcsine"
    else:
        key = "farrington-manning" if res.margin else "normal"
    refs = [key] + (["rpact"] if key != "arcsine" else [])
    parts = []
    if res.margin:
        test = (f"a {_side(res)} Farrington-Manning test of non-inferiority with a "
                f"margin of {abs(res.margin) * 100:g} percentage points")
    elif res.method == "arcsine":
        test = (f"a {_side(res)} comparison of two proportions on the arcsine scale "
                "(Cohen's h)")
    else:
        test = (f"a {_side(res)} two-proportion z-test (chi-square test without "
                "continuity correction)")
    parts.append(f"The sample size is based on {test} at the "
                 f"{_pct(res.alpha, 1 if res.alpha * 100 % 1 else 0)} significance level.")
    assume = f"We assume {outcome} rates of {_pct(res.p1)} with {e} and {_pct(res.p2)} with {c}"
    assume += f" ({source})." if source else "."
    parts.append(assume)
    # evaluable patients: the sizes to enrol when nobody drops out (rounded as asked for)
    n_exact = (list(res.n_per_arm) if res.dropout == 0
               else [math.ceil(x - 1e-9) for x in res.n_exact])
    ref = f" ({_SHORT[key]})"
    goal = "Showing non-inferiority" if res.margin else "Detecting this difference"
    if res.solved_for == "n":
        s = (f"{goal} with {_b(_pct(res.power), md)} power requires "
             f"{sum(n_exact)} evaluable patients ({_per_arm(n_exact, arm_names)}){ref}")
    elif res.solved_for == "power":
        s = (f"With {sum(n_exact)} evaluable patients ({_per_arm(n_exact, arm_names)}) the trial "
             f"has {_b(_pct(res.power), md)} power "
             f"{'to show non-inferiority' if res.margin else 'to detect this difference'}{ref}")
    else:
        s = (f"With {sum(n_exact)} evaluable patients ({_per_arm(n_exact, arm_names)}) the trial "
             f"has {_pct(res.power)} power to detect a rate of {_b(_pct(res.p1, 1), md)} "
             f"with {e}{ref}")
    if res.dropout > 0:
        s += (f"; allowing for {_pct(res.dropout)} drop-out, "
              f"{_b(f'{res.n_total} patients ({_per_arm(res.n_per_arm, arm_names)})', md)} "
              "will be randomised.")
    else:
        s += "."
    parts.append(s)
    return " ".join(parts), refs


def _ttest(res, *, source, arm_names, outcome, md) -> tuple[str, list[str]]:
    e, c = arm_names
    parts = [f"The sample size is based on a {_side(res)} two-sample t-test at the "
             f"{_pct(res.alpha)} significance level."]
    assume = (f"We assume a standardised difference in {outcome} of {_num(abs(res.effect_size))} "
              f"between {e} and {c}")
    parts.append(assume + (f" ({source})." if source else "."))
    n_exact = [math.ceil(x - 1e-9) for x in res.n_exact]
    if res.solved_for == "n":
        s = (f"Detecting it with {_b(_pct(res.power), md)} power requires {sum(n_exact)} evaluable "
             f"patients ({_per_arm(n_exact, arm_names)}) ({_SHORT['ttest']})")
    else:
        s = (f"With {sum(n_exact)} evaluable patients ({_per_arm(n_exact, arm_names)}) the "
             f"trial has {_b(_pct(res.power), md)} power ({_SHORT['ttest']})")
    if res.dropout > 0:
        s += (f"; allowing for {_pct(res.dropout)} drop-out, "
              f"{_b(f'{res.n_total} patients ({_per_arm(res.n_per_arm, arm_names)})', md)} will be "
              "randomised.")
    else:
        s += "."
    parts.append(s)
    return " ".join(parts), ["ttest"]


def _simulation(sim, *, md) -> tuple[str, list[str]]:
    test = {"logrank": "log-rank test", "cox": "Wald test of the Cox model",
            "chi-square": "chi-square test", "normal": "two-proportion z-test",
            "wald": "Wald test for two proportions", "t-test": "two-sample t-test",
            "ancova": "ANCOVA adjusted for baseline"}.get(sim.test, sim.test)
    s = (f"A simulation of {sim.n_reps:,} replicate trials of {sim.n_total} patients, each "
         f"analysed with the {_side(sim)} {test} at the {_pct(sim.alpha)} level, gave "
         f"{_b(_pct(sim.power, 1), md)} power (Monte Carlo standard error {_pct(sim.mcse, 1)}; "
         f"95% interval {_pct(sim.ci_lower, 1)} to {_pct(sim.ci_upper, 1)})")
    if not math.isnan(sim.type1_error):
        s += (f" and a type I error of {_pct(sim.type1_error, 1)} under no difference "
              f"(standard error {_pct(sim.type1_mcse, 1)})")
    s += f" ({_SHORT['simulation']})."
    return s, ["simulation"]


def grant_paragraph(result: Any, *, source: str | None = None,
                    arm_names: tuple[str, str] = ("the experimental arm", "the control arm"),
                    outcome: str = "event", time_unit: str = "months", simulation: Any = None,
                    format: str = "text", references: bool = True) -> str:
    """The sample-size paragraph of a grant application or protocol.

    Parameters
    ----------
    result : SurvivalPower, RatesPower, TTestPower or SimulatedPower
        From :func:`~workbench.power.analytic.power_survival`,
        :func:`~workbench.power.analytic.power_rates`,
        :func:`~workbench.power.analytic.power_ttest` or
        :func:`~workbench.power.simulation.simulate_power`.
    source : str, optional
        Where the assumptions come from, e.g. "trial T1: 27% vs 47% recurrence by 48 months".
    arm_names : (str, str)
        How to name arm 1 (experimental) and arm 2 (control) in the text.
    outcome : str, default "event"
        The event or outcome in words ("recurrence", "remission").
    time_unit : str, default "months"
    simulation : SimulatedPower, optional
        A simulation check to report after a closed-form result.
    format : {"text", "markdown"}, default "text"
        Markdown puts the key numbers in bold and the references in a list.
    references : bool, default True
        End with the full references of the methods cited.

    Returns
    -------
    str

    Examples
    --------
    >>> from workbench.power.analytic import power_rates
    >>> import textwrap
    >>> text = grant_paragraph(power_rates(0.27, 0.47, power=0.8, dropout=0.1),
    ...                        outcome="recurrence", references=False)
    >>> print(textwrap.fill(text, 95))
    The sample size is based on a two-sided two-proportion z-test (chi-square test without
    continuity correction) at the 5% significance level. We assume recurrence rates of 27% with the
    experimental arm and 47% with the control arm. Detecting this difference with 80% power
    requires 182 evaluable patients (91 per arm) (Fleiss et al. 2003); allowing for 10% drop-out,
    202 patients (101 per arm) will be randomised.
    """
    from .analytic import RatesPower, SurvivalPower, TTestPower

    def simulated_power_class():  # imported only for a simulated result (it loads the designs)
        from .simulation import SimulatedPower

        return SimulatedPower

    check_choice("format", format, ("text", "markdown"))
    if (not isinstance(arm_names, tuple | list) or len(arm_names) != 2
            or not all(isinstance(a, str) for a in arm_names)):
        raise InvalidParameterError(f"`arm_names` must be two strings; got {arm_names!r}.")
    md = format == "markdown"
    kw = dict(source=source, arm_names=tuple(arm_names), outcome=outcome, md=md)
    if isinstance(result, SurvivalPower):
        text, refs = _survival(result, time_unit=time_unit, **kw)
    elif isinstance(result, RatesPower):
        text, refs = _rates(result, **kw)
    elif isinstance(result, TTestPower):
        text, refs = _ttest(result, **kw)
    elif isinstance(result, simulated_power_class()):
        text, refs = _simulation(result, md=md)
        if source:
            text = f"Assumptions: {source}. " + text
    else:
        raise InvalidParameterError(
            "`result` must be a SurvivalPower, RatesPower, TTestPower or SimulatedPower; "
            f"got {type(result).__name__}."
        )
    if simulation is not None:
        if not isinstance(simulation, simulated_power_class()):
            raise InvalidParameterError(
                f"`simulation` must be a SimulatedPower; got {type(simulation).__name__}."
            )
        more, r2 = _simulation(simulation, md=md)
        text += " " + more
        refs += r2
    if references:
        seen = []
        for r in refs:
            if r in REFERENCES and REFERENCES[r] not in seen:
                seen.append(REFERENCES[r])
        if seen:
            if md:
                text += "\n\n**References**\n\n" + "\n".join(f"- {r}" for r in seen)
            else:
                text += "\n\nReferences: " + " ".join(seen)
    return text
