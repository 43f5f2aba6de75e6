r"""``workbench power rates|survival|simulate|nph``: sample size and power for grant applications.

``power nph`` (non-proportional hazards) lives in :mod:`workbench.commands.power_nph`.

Examples::

    workbench power rates --p1 0.27 --p2 0.47 --power 0.8
    workbench power rates --p1 0.27 --p2 0.47 --n1 41 --n2 51 --json
    workbench power rates --p1 0.23 --p2 0.23 --margin -0.1 --alternative greater \
        --alpha 0.025 --power 0.8
    workbench power survival --p1 0.27 --p2 0.47 --at 48 --accrual-time 24 --follow-up 48 \
        --dropout 0.1 --dropout-at 12 --power 0.8
    workbench power survival --hazard-ratio 0.5 --events 66
    workbench power survival --p1 0.27 --p2 0.47 --at 48 --accrual-time 24 --follow-up 48 \
        --power 0.8 --alternative less --alpha 0.025 --kmax 3 --design asOF --info 0.3,0.6,1
    workbench power simulate design.yaml --reps 10000 --seed 1 --workers 2
    workbench power simulate t3_design.yaml --reps 10000 --seed 1 --arms pdt,placebo

Conventions (those of rpact): arm 1 is the experimental arm, ``--allocation-ratio`` is n1/n2
(allocationRatioPlanned); sizes solved for are rounded up per arm. ``--alternative`` is the
alternative hypothesis about experimental minus control (the difference p1 - p2; the log hazard
ratio, so a hazard ratio below 1 is ``less``): ``two-sided`` (default), ``less`` or ``greater``;
``--sided`` is its alias in rpact's spelling (2: two-sided; 1: one-sided in the direction of the
effect, or of the margin with ``--margin``). ``power survival`` counts ``--follow-up`` after the
end of accrual (rpact's followUpTime) unless ``--follow-up-type fixed``.

Aliases of renamed options: ``--sided`` (``--alternative``), ``--hr`` (``--hazard-ratio``),
``--ratio`` (``--allocation-ratio``), ``--accrual`` (``--accrual-time``). ``--dropout`` keeps its
meaning per verb (rates: the share of patients without an outcome; survival: the probability of
loss to follow-up by ``--dropout-at``); ``power survival --dropout-rate`` gives loss to follow-up
as a hazard per time unit instead.

Patients (``--n1``, ``--n2``, ``--n``) are whole numbers: 10.0 is 10, 10.5 is refused (its power
would be printed beside "11 per arm"). ``--events`` may be an expected number of events (35.04,
as rpact's getPowerSurvival takes it): the power is then that of the number given and no
rounded count is printed.

With ``--json`` one JSON object is printed with at least the keys ``n_per_arm`` (list, rounded
up), ``n_total``, ``n_exact`` (unrounded, per arm), ``events`` (rounded up; null for an
``--events`` that is not a whole number, an expected number used as given), ``events_exact``,
``power``, ``hazard_ratio``, ``mcse`` (simulation), ``alpha`` and ``sided`` (1 or 2); ``rates``
and ``survival`` add ``alternative``. Keys that do not apply are null. Bad input prints one line
on stderr naming the option and exits with code 2.
"""

from __future__ import annotations

import argparse

#: library parameter -> command-line option, for error messages
_OPTIONS = {
    "p1": "--p1", "p2": "--p2", "at": "--at", "hazard_ratio": "--hazard-ratio",
    "power": "--power", "alpha": "--alpha", "alternative": "--alternative", "sided": "--sided",
    "allocation_ratio": "--allocation-ratio", "margin": "--margin", "method": "--method",
    "n1": "--n1", "n2": "--n2", "n_total": "--n", "events": "--events",
    "accrual_time": "--accrual-time", "follow_up": "--follow-up",
    "follow_up_type": "--follow-up-type", "dropout_probability": "--dropout",
    "dropout_time": "--dropout-at", "dropout_rate": "--dropout-rate", "dropout": "--dropout",
    "n_reps": "--reps", "rng": "--seed", "workers": "--workers", "test": "--test",
    "chunk_size": "--chunk-size", "design": "DESIGN", "rounding": "--rounding",
    "arms": "--arms",
}

_KEYS = ("n_per_arm", "n_total", "n_exact", "events", "events_exact", "power", "hazard_ratio",
         "mcse", "alpha", "sided")

#: the values of ``--alternative``
_ALTERNATIVES = ("two-sided", "less", "greater")

def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``power`` verb to the command's subparsers."""
    p = sub.add_parser(
        "power",
        help="sample size and power: two proportions, time to event, simulation",
        description=(
            "Sample size and power for two-arm trials. Closed forms match R rpact "
            "(getSampleSizeRates, getSampleSizeSurvival) and pwr; `simulate` estimates power by "
            "simulating a design file. `workbench power WHAT --help` for details."
        ),
    )
    verbs = p.add_subparsers(dest="power_verb", metavar="WHAT", required=True)
    _rates_parser(verbs)
    _survival_parser(verbs)
    _simulate_parser(verbs)
    from . import power_nph

    power_nph.register(verbs)
    # group-sequential designs: --kmax/--design/--info (workbench/commands/_sequential.py)
    from . import _sequential

    for name in ("rates", "survival"):
        _sequential.add_options(verbs.choices[name])


# --------------------------------------------------------------------------------------------
# parsers: one function per sub-verb
# --------------------------------------------------------------------------------------------
def _common_test_options(p: argparse.ArgumentParser, effect: str, *, margin: bool = False,
                         alpha_default: float = 0.05) -> None:
    p.add_argument("--alpha", type=float, default=alpha_default,
                   help="type I error, both tails together when two-sided "
                        f"(default {alpha_default})")
    p.add_argument("--alternative", choices=_ALTERNATIVES, default=None,
                   help=f"the alternative hypothesis about {effect}: two-sided (default), less "
                        "or greater (alias: --sided)")
    p.add_argument("--sided", type=int, default=None, metavar="{1,2}",
                   help="alias of --alternative in rpact's spelling: 2 is two-sided, 1 one-sided "
                        "in the direction of the effect"
                        + (" (of the margin with --margin)" if margin else ""))
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--source", default=None,
                   help="where the assumptions come from, for the paragraph (e.g. 'trial T1')")
    p.add_argument("--outcome", default="event",
                   help="the outcome in words, for the paragraph (e.g. recurrence; default "
                        "event)")


def _rates_parser(verbs) -> argparse.ArgumentParser:
    p = verbs.add_parser(
        "rates",
        help="two proportions: sample size or power (rpact normal approximation, pwr arcsine)",
        description=(
            "Sample size (give --power) or power (give --n1 and --n2, or --n) for comparing two "
            "proportions. --method normal is rpact's getSampleSizeRates/getPowerRates (pooled "
            "variance under H0; Farrington-Manning with --margin); --method arcsine is Cohen's h "
            "as R pwr.2p.test/pwr.2p2n.test."
        ),
        epilog="Arm 1 (--p1) is the experimental arm; --allocation-ratio is n1/n2.",
    )
    p.add_argument("--p1", type=float, required=True, help="probability in arm 1 (experimental)")
    p.add_argument("--p2", type=float, required=True, help="probability in arm 2 (control)")
    p.add_argument("--power", type=float, default=None, help="target power: solve the sample size")
    p.add_argument("--n1", type=float, default=None, help="patients in arm 1 (give with --n2)")
    p.add_argument("--n2", type=float, default=None, help="patients in arm 2 (give with --n1)")
    p.add_argument("--n", type=float, default=None,
                   help="total patients, split by --allocation-ratio")
    p.add_argument("--allocation-ratio", "--ratio", dest="allocation_ratio", type=float,
                   default=1.0, help="allocation n1/n2 (default 1; alias: --ratio)")
    p.add_argument("--margin", type=float, default=0.0,
                   help="non-inferiority margin on p1 - p2 (negative when higher rates are "
                        "better); needs the one-sided --alternative of the margin (greater for a "
                        "negative margin, less for a positive one; or --sided 1)")
    p.add_argument("--method", choices=("normal", "arcsine"), default="normal",
                   help="normal approximation (rpact, default) or arcsine (Cohen's h, pwr)")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="fraction without an outcome: inflate the sizes by 1/(1 - dropout)")
    p.add_argument("--two-sided-power", action="store_true",
                   help="two-sided tests: solve the sample size counting rejections in both "
                        "tails (rpact twoSidedPower; not about the side of the test)")
    p.add_argument("--rounding", choices=("per-arm", "allocation"), default="per-arm",
                   help="round solved sizes up per arm (default, as rpact) or in whole "
                        "allocation blocks so n1:n2 stays --allocation-ratio (e.g. 1:2 -> 68 "
                        "and 136)")
    _common_test_options(p, "p1 - p2", margin=True)
    p.set_defaults(func=_run_rates)
    return p


def _survival_parser(verbs) -> argparse.ArgumentParser:
    p = verbs.add_parser(
        "survival",
        help="time to event: events, patients or power (Schoenfeld, Freedman; as rpact)",
        description=(
            "Events and patients (give --power) or power (give --n, --n1/--n2 or --events) of a "
            "log-rank comparison, as rpact getSampleSizeSurvival/getPowerSurvival. The effect is "
            "--p1 and --p2, cumulative event probabilities by time --at (exponential hazards), or "
            "--hazard-ratio (with --p2 and --at to turn events into patients)."
        ),
        epilog=(
            "Patients need the control hazard (--p2 and --at) and --follow-up. --follow-up is "
            "counted after the end of accrual (study ends at accrual time + follow-up) unless "
            "--follow-up-type fixed (every patient followed --follow-up). --dropout P "
            "--dropout-at T: probability P of loss to follow-up by time T (exponential); "
            "--dropout-rate R: the same as a hazard R per time unit."
        ),
    )
    p.add_argument("--p1", type=float, default=None, help="event probability by --at in arm 1")
    p.add_argument("--p2", type=float, default=None, help="event probability by --at in arm 2")
    p.add_argument("--at", type=float, default=None, help="time of --p1 and --p2 (e.g. 48)")
    p.add_argument("--hazard-ratio", "--hr", dest="hazard_ratio", type=float, default=None,
                   help="hazard ratio arm 1 / arm 2 (alias: --hr)")
    p.add_argument("--accrual-time", "--accrual", dest="accrual_time", type=float, default=None,
                   help="uniform accrual over [0, ACCRUAL_TIME], > 0 (default 12, as rpact's "
                        "accrualTime; alias: --accrual)")
    p.add_argument("--follow-up", type=float, default=None, help="follow-up (see below)")
    p.add_argument("--follow-up-type", choices=("calendar", "fixed"), default="calendar",
                   help="calendar: after the end of accrual, as rpact (default); "
                        "fixed: per patient")
    p.add_argument("--dropout", type=float, default=None,
                   help="probability of loss to follow-up by --dropout-at")
    p.add_argument("--dropout-at", type=float, default=None,
                   help="time of --dropout (default 12, as rpact's dropoutTime)")
    p.add_argument("--dropout-rate", type=float, default=None,
                   help="loss to follow-up as an exponential hazard per time unit (instead of "
                        "--dropout and --dropout-at)")
    p.add_argument("--power", type=float, default=None, help="target power: solve events and N")
    p.add_argument("--n", type=float, default=None,
                   help="total patients (power from expected events)")
    p.add_argument("--n1", type=float, default=None, help="patients in arm 1 (with --n2)")
    p.add_argument("--n2", type=float, default=None, help="patients in arm 2 (with --n1)")
    p.add_argument("--events", type=float, default=None, help="number of events (power)")
    p.add_argument("--allocation-ratio", "--ratio", dest="allocation_ratio", type=float,
                   default=1.0, help="allocation n1/n2 (default 1; alias: --ratio)")
    p.add_argument("--method", choices=("schoenfeld", "freedman", "hsieh-freedman"),
                   default="schoenfeld", help="events formula (default schoenfeld)")
    p.add_argument("--two-sided-power", action="store_true",
                   help="two-sided tests: solve events counting rejections in both tails "
                        "(rpact twoSidedPower; not about the side of the test)")
    _common_test_options(p, "the log hazard ratio (a hazard ratio below 1 is less)")
    p.set_defaults(func=_run_survival)
    return p


def _simulate_parser(verbs) -> argparse.ArgumentParser:
    p = verbs.add_parser(
        "simulate",
        help="power of a design file by simulation (Monte Carlo SE, type I error)",
        description=(
            "Simulate a two-arm design file (SurvivalDesign, BinaryDesign or ContinuousDesign, "
            "YAML or JSON as their to_yaml writes; 't1' for trial T1) --reps times, analyse every "
            "replicate with the planned test and report power with its Monte Carlo standard error "
            "and the type I error under the null. Same seed, same numbers, whatever --workers."
        ),
    )
    p.add_argument("design", metavar="DESIGN.yaml",
                   help="design file (.yaml, .yml, .json) or a catalogue name "
                   "(t1 ... t8, m1 ... m3)")
    p.add_argument("--reps", type=int, default=10_000, help="replicates (default 10000)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (-1: all CPUs)")
    p.add_argument("--test", default=None,
                   help="planned test: logrank|cox|fh:RHO:GAMMA|mb:T_STAR|maxcombo|rmst:TAU|"
                        "milestone:TIME (survival), chi-square|normal|wald (rates), "
                        "t-test|ancova|mmrm|welch|ancova-locf (continuous); default the first")
    p.add_argument("--chunk-size", type=int, default=10_000, help="replicates per unit of work")
    p.add_argument("--no-type1", action="store_true", help="skip the simulation under the null")
    p.add_argument("--arms", default=None, metavar="EXPERIMENTAL,CONTROL",
                   help="the two arms to compare, by name, for a design with more arms (or to "
                        "choose which arm is the control)")
    p.add_argument("--alpha", type=float, default=None,
                   help="type I error, both tails together when two-sided (default 0.05; 0.025 "
                        "for a design with a non-inferiority margin)")
    p.add_argument("--alternative", choices=("two-sided", "less", "greater"), default=None,
                   help="alternative hypothesis on experimental minus control (default "
                        "two-sided; for a design with a non-inferiority margin, one-sided in its "
                        "direction of benefit)")
    p.add_argument("--sided", type=int, choices=(1, 2), default=None,
                   help="alias of --alternative: 1 = one-sided in the direction of the design's "
                        "effect, 2 = two-sided")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run_simulate)
    return p


# --------------------------------------------------------------------------------------------
# handlers
# --------------------------------------------------------------------------------------------
def _rename(exc):
    """The error with library parameter names replaced by the command-line options."""
    from ._common import rename_options

    return rename_options(exc, _OPTIONS)


def _output(out: dict, args, text: str) -> int:
    from ._common import print_json

    for k in _KEYS:
        out.setdefault(k, None)
    if args.json:
        print_json(out)
    else:
        print(text)
    return 0


def _alternative(args, effect: float | None) -> str:
    """``--alternative``, or its alias ``--sided``; two-sided by default.

    ``--sided 2`` is two-sided; 1 is one-sided in the direction of ``effect``, experimental minus
    control on the tested scale.
    """
    from ..exceptions import InvalidParameterError

    if args.sided is None:
        return args.alternative or "two-sided"
    if args.sided not in (1, 2):
        raise InvalidParameterError(f"`--sided` must be 1 or 2; got {args.sided!r}.")
    if args.sided == 2:
        alternative = "two-sided"
    else:
        alternative = "less" if effect is not None and effect < 0 else "greater"
    if args.alternative is not None and args.alternative != alternative:
        raise InvalidParameterError(
            f"`--sided` {args.sided} (here alternative {alternative}) contradicts "
            f"`--alternative` {args.alternative}: give one of them."
        )
    return alternative


def _check_counts(args, *options: str) -> None:
    """Sizes and event counts on the command line are whole numbers (10 or 10.0, never 10.5).

    A fractional count would be printed rounded beside the power of the unrounded one.
    """
    from .._validation import check_count

    for option in options:
        check_count(option, getattr(args, option.lstrip("-")), allow_none=True)


def _side_text(alternative: str) -> str:
    return "two-sided" if alternative == "two-sided" else f"one-sided, alternative {alternative}"


def _sequential_call(run, args, alternative: str, effect: float | None) -> int:
    """Hand the command line to a group-sequential runner (commands/_sequential.py).

    The runner reads rpact's spellings: ``sided`` (1 or 2), ``ratio``, ``hr``, ``accrual``. A
    one-sided design there tests in the direction of the effect.
    """
    from ..exceptions import InvalidParameterError

    if alternative != "two-sided" and effect is not None and effect != 0 and (
            (effect < 0) != (alternative == "less")):
        raise InvalidParameterError(
            f"`--alternative` {alternative}: with --kmax a one-sided design tests in the "
            "direction of the effect; give the other one-sided alternative or two-sided."
        )
    if getattr(args, "dropout_rate", None) is not None:
        raise InvalidParameterError(
            "`--dropout-rate` is not available with --kmax: give loss to follow-up as "
            "--dropout with --dropout-at."
        )
    seq = argparse.Namespace(**vars(args))
    seq.sided = 2 if alternative == "two-sided" else 1
    seq.ratio = args.allocation_ratio
    seq.hr = getattr(args, "hazard_ratio", None)
    seq.accrual = getattr(args, "accrual_time", None)

    def output(out: dict, a, text: str) -> int:
        out.setdefault("alternative", alternative)
        return _output(out, a, text)

    return run(seq, output)


def _run_rates(args) -> int:
    from ..exceptions import InvalidParameterError
    from ..power.analytic import power_rates
    from ..power.report import grant_paragraph
    from . import _sequential

    # experimental minus control on the tested scale: with a margin, its side
    effect = -args.margin if args.margin else args.p1 - args.p2
    alternative = _alternative(args, effect)
    if _sequential.wanted(args):  # group-sequential design (--kmax/--design/--info)
        return _sequential_call(_sequential.run_rates, args, alternative, effect)

    _check_counts(args, "--n1", "--n2", "--n")
    n12 = args.n1 if args.n1 is not None else args.n2
    given = [o for o, v in (("--power", args.power), ("--n1/--n2", n12), ("--n", args.n))
             if v is not None]
    if len(given) != 1:
        raise InvalidParameterError(
            f"give exactly one of --power (sample size) and --n1 with --n2 or --n (power); got "
            f"{', '.join(given) or 'none'}."
        )
    try:
        res = power_rates(args.p1, args.p2, n1=args.n1, n2=args.n2, n_total=args.n,
                          power=args.power, alpha=args.alpha, alternative=alternative,
                          allocation_ratio=args.allocation_ratio, margin=args.margin,
                          method=args.method, dropout=args.dropout,
                          two_sided_power=args.two_sided_power, rounding=args.rounding)
    except InvalidParameterError as exc:
        raise _rename(exc) from None
    out = {
        "n_per_arm": res.n_per_arm, "n_total": res.n_total, "n_exact": res.n_exact,
        "power": res.power, "alpha": res.alpha, "sided": res.sided,
        "alternative": res.alternative, "p1": res.p1, "p2": res.p2,
        "difference": res.difference, "margin": res.margin, "effect_size": res.effect_size,
        "allocation_ratio": res.allocation_ratio, "dropout": res.dropout, "method": res.method,
        "test": res.test, "reference": res.reference, "solved_for": res.solved_for,
    }
    text = (f"{res.test}, alpha {res.alpha:g} ({_side_text(res.alternative)})\n"
            f"p1 = {res.p1:.4g}, p2 = {res.p2:.4g}"
            + (f", margin {res.margin:g}" if res.margin else "")
            + f"\npower {res.power:.4f}\n"
            f"n per arm {res.n_per_arm[0]} + {res.n_per_arm[1]} = {res.n_total} "
            f"(exact {res.n_exact[0]:.3f}, {res.n_exact[1]:.3f}"
            + (f"; inflated for {res.dropout:.0%} drop-out" if res.dropout else "") + ")\n\n"
            + grant_paragraph(res, source=args.source, outcome=args.outcome))
    return _output(out, args, text)


def _run_survival(args) -> int:
    import math

    from ..exceptions import InvalidParameterError
    from ..power.analytic import DEFAULT_ACCRUAL_TIME, DEFAULT_DROPOUT_TIME, power_survival
    from ..power.report import grant_paragraph
    from . import _sequential

    # the log hazard ratio's sign: from --hazard-ratio, or from --p1 vs --p2
    hr, effect = args.hazard_ratio, None
    if hr is not None and hr > 0:
        effect = math.log(hr)
    elif hr is None and args.p1 is not None and args.p2 is not None:
        effect = args.p1 - args.p2
    alternative = _alternative(args, effect)
    if _sequential.wanted(args):  # group-sequential design (--kmax/--design/--info)
        return _sequential_call(_sequential.run_survival, args, alternative, effect)

    _check_counts(args, "--n1", "--n2", "--n")
    n_given = args.n1 is not None or args.n2 is not None
    given = [o for o, v in (("--power", args.power), ("--n", args.n),
                            ("--n1/--n2", n_given or None), ("--events", args.events))
             if v is not None]
    if len(given) != 1:
        raise InvalidParameterError(
            "give exactly one of --power (events and patients), --n or --n1 with --n2, and "
            f"--events (power); got {', '.join(given) or 'none'}."
        )
    if hr is not None and args.p1 is not None:
        raise InvalidParameterError(
            "give the effect as --p1 with --p2 and --at, or as --hazard-ratio, not both."
        )
    if hr is None and args.p1 is None:
        raise InvalidParameterError(
            "give the effect: --p1 with --p2 and --at, or --hazard-ratio.")
    accrual_time = DEFAULT_ACCRUAL_TIME if args.accrual_time is None else args.accrual_time
    if not accrual_time > 0:
        raise InvalidParameterError(
            f"`--accrual-time` must be a number > 0; got {args.accrual_time!r}.")
    if args.follow_up is not None and not args.follow_up > 0:
        raise InvalidParameterError(f"`--follow-up` must be a number > 0; got {args.follow_up!r}.")
    dropout_time = args.dropout_at
    if args.dropout is not None and dropout_time is None:
        dropout_time = DEFAULT_DROPOUT_TIME
    if args.dropout is None and args.dropout_at is not None:
        raise InvalidParameterError("`--dropout-at` needs `--dropout`.")
    if args.dropout_rate is not None and args.dropout is not None:
        raise InvalidParameterError(
            "give loss to follow-up as `--dropout-rate` or as `--dropout` with `--dropout-at`, "
            "not both.")
    try:
        res = power_survival(
            hr, p1=args.p1, p2=args.p2, at=args.at, events=args.events, n_total=args.n,
            n1=args.n1, n2=args.n2, power=args.power, alpha=args.alpha,
            alternative=alternative, allocation_ratio=args.allocation_ratio, method=args.method,
            accrual_time=accrual_time, follow_up=args.follow_up,
            follow_up_type=args.follow_up_type, dropout_rate=args.dropout_rate,
            dropout_probability=args.dropout, dropout_time=dropout_time,
            two_sided_power=args.two_sided_power,
        )
    except InvalidParameterError as exc:
        raise _rename(exc) from None
    out = {
        "n_per_arm": res.n_per_arm, "n_total": res.n_total, "n_exact": res.n_exact,
        "events": res.events, "events_exact": res.events_exact, "power": res.power,
        "hazard_ratio": res.hazard_ratio, "alpha": res.alpha, "sided": res.sided,
        "alternative": res.alternative, "p1": res.p1, "p2": res.p2, "at": res.at,
        "lambda1": res.lambda1, "lambda2": res.lambda2,
        "allocation_ratio": res.allocation_ratio, "accrual_time": res.accrual_time,
        "follow_up": res.follow_up, "follow_up_type": res.follow_up_type,
        "dropout_rate": res.dropout_rate, "p_event": res.p_event,
        "p_event_overall": res.p_event_overall, "n_total_exact": res.n_total_exact,
        "n_total_no_dropout": res.n_total_no_dropout, "analysis_time": res.analysis_time,
        "accrual_intensity": (res.n_total_exact / res.accrual_time
                              if res.n_total_exact is not None and res.accrual_time > 0 else None),
        "method": res.method, "reference": res.reference, "solved_for": res.solved_for,
    }
    events_line = f"events {res.events} (exact {res.events_exact:.3f})"
    if args.events is not None and not float(args.events).is_integer():
        # an expected number of events (rpact's maxNumberOfEvents may be one): the power is
        # that of this number, so no whole count is printed beside it
        out["events"] = None
        events_line = (f"events {args.events:g} as given: an expected number, not a whole count "
                       "(give whole events for a planned count)")
    lines = [f"log-rank test ({res.method}), alpha {res.alpha:g} "
             f"({_side_text(res.alternative)}), hazard ratio {res.hazard_ratio:.4f}",
             f"power {res.power:.4f}", events_line]
    if res.n_total is not None:
        assert res.n_per_arm is not None and res.n_exact is not None  # set with n_total
        lines.append(f"n per arm {res.n_per_arm[0]} + {res.n_per_arm[1]} = {res.n_total} "
                     f"(exact {res.n_exact[0]:.3f}, {res.n_exact[1]:.3f})")
    text = ("\n".join(lines) + "\n\n"
            + grant_paragraph(res, source=args.source, outcome=args.outcome))
    return _output(out, args, text)


def _load_design(spec: str):
    """A design from a YAML/JSON file or from the design catalogue by name.

    A file's design type is its ``type``, else guessed from the arms; catalogue names are 't1',
    't4', ....
    """
    import json
    from pathlib import Path

    import yaml

    from ..design import design_from_dict, list_designs, load_design
    from ..exceptions import InvalidParameterError

    if spec.strip().lower() in set(list_designs()["name"]):
        return load_design(spec)
    path = Path(spec)
    if not path.is_file():
        raise InvalidParameterError(f"`DESIGN` file {spec!r} does not exist.")
    try:
        text = path.read_text()
        d = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidParameterError(f"`DESIGN` file {spec!r} cannot be read: {exc}") from None
    if isinstance(d, dict) and "type" not in d and isinstance(d.get("arms"), list) and d["arms"]:
        first = d["arms"][0] if isinstance(d["arms"][0], dict) else {}
        d["type"] = ("SurvivalDesign" if "event_time" in first
                     else "ContinuousDesign" if "means" in first else "BinaryDesign")
    try:
        return design_from_dict(d)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"`DESIGN` file {spec!r}: {exc}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidParameterError(
            f"`DESIGN` file {spec!r} is not a valid design: {exc}"
        ) from None


def _two_arms(design, spec: str):
    """The design reduced to the arms named in ``spec`` ('EXPERIMENTAL,CONTROL')."""
    from ..exceptions import InvalidParameterError

    names = [x.strip() for x in spec.split(",") if x.strip()]
    available = list(design.arm_names)
    if len(names) != 2 or names[0] == names[1] or not set(names) <= set(available):
        raise InvalidParameterError(
            f"`--arms` must name two different arms of the design, experimental first and "
            f"control second, from {available}; got {spec!r}."
        )
    return design.comparison(names[0], names[1])


def _run_simulate(args) -> int:
    from ..exceptions import InvalidParameterError
    from ..power.report import grant_paragraph
    from ..power.simulation import simulate_power

    if args.reps is None or args.reps < 1:
        raise InvalidParameterError(f"`--reps` must be an integer >= 1; got {args.reps!r}.")
    if args.seed is not None and args.seed < 0:
        raise InvalidParameterError(f"`--seed` must be a non-negative integer; got {args.seed!r}.")
    design = _load_design(args.design)
    if args.arms is not None:
        try:
            design = _two_arms(design, args.arms)
        except InvalidParameterError as exc:
            raise _rename(exc) from None
    elif len(getattr(design, "arms", ())) > 2:
        raise InvalidParameterError(
            f"the design has {len(design.arms)} arms {list(design.arm_names)}; simulation power "
            "compares two: name them with `--arms EXPERIMENTAL,CONTROL`."
        )
    # a non-inferiority design is tested one-sided, by default at 2.5%
    non_inferiority = getattr(design, "margin", None) not in (None, 0)
    if args.alternative is not None:
        alternative = args.alternative
    elif args.sided is not None:
        alternative = "two-sided" if args.sided == 2 else design.effect_direction
    else:
        alternative = design.effect_direction if non_inferiority else "two-sided"
    if non_inferiority and alternative != design.effect_direction:
        flag = "--alternative" if args.alternative is not None else "--sided"
        raise InvalidParameterError(
            f"`{flag}`: a design with a non-inferiority margin is tested one-sided in its "
            f"direction of benefit (--alternative {design.effect_direction}, or --sided 1).")
    alpha = args.alpha if args.alpha is not None else (0.025 if non_inferiority else 0.05)
    try:
        res = simulate_power(design, n_reps=args.reps, test=args.test, alpha=alpha,
                             alternative=alternative, type1=not args.no_type1, rng=args.seed,
                             chunk_size=args.chunk_size, workers=args.workers)
    except InvalidParameterError as exc:
        raise _rename(exc) from None
    hr = res.effect if res.effect_name == "hazard_ratio" else None
    out = {
        "n_per_arm": res.n_per_arm, "n_total": res.n_total, "n_exact": None,
        "events": None,
        "events_exact": res.mean_events if res.effect_name == "hazard_ratio" else None,
        "power": res.power, "hazard_ratio": hr, "mcse": res.mcse, "alpha": res.alpha,
        "sided": res.sided, "alternative": res.alternative, "ci": [res.ci_lower, res.ci_upper],
        "type1_error": res.type1_error,
        "type1_mcse": res.type1_mcse, "n_reps": res.n_reps, "seed": res.seed, "test": res.test,
        "design_type": res.design_type, "arm_names": res.arm_names, "effect_name": res.effect_name,
        "effect": res.effect, "mean_events": res.mean_events,
        "closed_form_power": res.closed_form_power, "closed_form_method": res.closed_form_method,
    }
    text = (f"{res.design_type}, {res.test}, alpha {res.alpha:g} "
            f"({res.alternative}), {res.n_reps} replicates, "
            f"seed {res.seed}\n"
            f"n per arm {res.n_per_arm} (total {res.n_total})\n"
            f"power {res.power:.4f} (MCSE {res.mcse:.4f}; 95% CI {res.ci_lower:.4f} to "
            f"{res.ci_upper:.4f})\n"
            + (f"type I error {res.type1_error:.4f} (MCSE {res.type1_mcse:.4f})\n"
               if not args.no_type1 else "")
            + (f"closed form {res.closed_form_power:.4f} ({res.closed_form_method})\n"
               if res.closed_form_power is not None else "")
            + "\n" + grant_paragraph(res, references=False))
    return _output(out, args, text)
