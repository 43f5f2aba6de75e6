"""Group-sequential options of ``workbench power rates|survival`` (``--kmax --design --info``).

``power.py`` registers the options with :func:`add_options` and hands a command line that asks
for a group-sequential design (:func:`wanted`) to :func:`run_rates` or :func:`run_survival`
(this module imports nothing from ``power.py``; the library's defaults, e.g.
:data:`workbench.power.sequential.DEFAULT_ACCRUAL_TIME`, come from the library).
Sample sizes follow rpact's ``getSampleSizeRates`` / ``getSampleSizeSurvival`` with a
``getDesignGroupSequential`` design; power at a given number of events follows
``getPowerSurvival``. The JSON keeps the keys of the fixed-design output (``n_per_arm``,
``n_total``, ``n_exact``, ``events``, ``events_exact``, ``power``, ``hazard_ratio``, ``alpha``,
``sided``; maxima over the looks) and adds ``alternative`` (the design's side: ``--alternative``,
or ``--sided 1`` as the direction of the effect, ``--sided 2`` as two-sided), ``kmax``,
``information_rates``, ``critical_values``, ``stage_levels``, ``inflation_factor``, per-look
sizes and boundaries on the effect scale, and the expected sizes. Over the looks:
``events_per_stage`` (cumulative events; null for rates), ``n_per_stage`` (cumulative subjects,
both arms), ``analysis_times`` (calendar time of each look; null for rates and for power at given
events) and ``critical_values_effect`` (efficacy bounds as hazard ratios, or as risk differences
``p1 - p2``).
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings

_ALTERNATIVES = ("two-sided", "less", "greater")


def add_options(p: argparse.ArgumentParser) -> None:
    """Add ``--kmax``, ``--design`` and ``--info`` to a ``power`` sub-command."""
    g = p.add_argument_group(
        "group-sequential design",
        "Give --kmax (and optionally --design, --info) for a trial with interim analyses: "
        "the maximum size is the fixed size times the design's inflation factor.")
    g.add_argument("--kmax", type=int, default=None, help="number of looks, the last final")
    g.add_argument("--design", dest="gs_design", default=None, metavar="TYPE",
                   help="OF, P, WT, asOF, asP, asHSD or asKD (default asOF with --kmax)")
    g.add_argument("--info", dest="gs_info", default=None, metavar="T1,T2,...",
                   help="information rates of the looks, at least 0.001 apart (default "
                        "equally spaced)")
    g.add_argument("--delta-wt", dest="gs_delta_wt", type=float, default=None,
                   help="Wang-Tsiatis Delta (--design WT)")
    g.add_argument("--gamma", dest="gs_gamma", type=float, default=None,
                   help="Hwang-Shih-DeCani parameter (--design asHSD), in [-10, 5]")
    g.add_argument("--rho", dest="gs_rho", type=float, default=None,
                   help="Kim-DeMets exponent (--design asKD), in [0.4, 8]")
    try:
        g.add_argument("--alternative", dest="gs_alternative", choices=_ALTERNATIVES,
                       default=None,
                       help="side of the group-sequential test of experimental minus control "
                            "(p1 - p2, log hazard ratio; a hazard ratio below 1 is 'less'); "
                            "alias: --sided 1 (one-sided in the direction of the effect) or "
                            "--sided 2 (two-sided, the default)")
    except argparse.ArgumentError:  # the verb has --alternative for every design already
        pass


def wanted(args) -> bool:
    """Whether the command line asks for a group-sequential design."""
    return any(getattr(args, a, None) is not None
               for a in ("kmax", "gs_design", "gs_info", "gs_delta_wt", "gs_gamma", "gs_rho"))


_OPTIONS = {"kmax": "--kmax", "type_of_design": "--design", "information_rates": "--info",
            "beta": "--power", "delta_wt": "--delta-wt", "gamma": "--gamma",
            "rho": "--rho", "max_events": "--events", "hazard_ratio": "--hr",
            "p1": "--p1", "p2": "--p2", "event_time": "--at", "accrual_time": "--accrual",
            "follow_up": "--follow-up", "dropout_rate1": "--dropout",
            "dropout_rate2": "--dropout", "dropout_time": "--dropout-at",
            "allocation_ratio": "--ratio", "margin": "--margin", "method": "--method",
            "alternative": "--alternative", "n_total": "--n"}


def check_fixed(args) -> None:
    """A fixed-design command line (no --kmax) must not carry ``--alternative`` of this group."""
    from ..exceptions import InvalidParameterError

    if getattr(args, "gs_alternative", None) is not None:
        raise InvalidParameterError(
            "`--alternative` here applies to group-sequential designs (with --kmax); the fixed "
            "design takes --sided 1|2."
        )


def _alternative(args, upper: bool) -> str:
    """The side of the test: --alternative, else its alias --sided.

    --sided 1 is one-sided in the direction of the effect (``upper`` meaning "greater"); 2 is
    two-sided.
    """
    from ..exceptions import InvalidParameterError

    alternative = getattr(args, "gs_alternative", None)
    if alternative is None:
        alternative = getattr(args, "alternative", None)
    if alternative is not None:
        return alternative
    sided = getattr(args, "sided", None)
    if sided == 1:
        return "greater" if upper else "less"
    if sided in (None, 2):
        return "two-sided"
    raise InvalidParameterError(f"`--sided` must be 1 or 2; got {sided!r}.")


def _design(args, beta: float, alternative: str):
    from ..design.sequential import group_sequential_design
    from ..exceptions import InvalidParameterError
    from ._common import split_list

    info = split_list(args.gs_info, "information_rates") if args.gs_info is not None else None
    kmax = args.kmax if args.kmax is not None else (len(info) if info is not None else 3)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            design = group_sequential_design(kmax=kmax, alpha=args.alpha, beta=beta,
                                             alternative=alternative, information_rates=info,
                                             type_of_design=args.gs_design or "asOF",
                                             delta_wt=args.gs_delta_wt, gamma=args.gs_gamma,
                                             rho=args.gs_rho)
    except InvalidParameterError as exc:
        raise _rename(exc) from None
    for w in caught:  # an option that does not apply: one line on stderr naming it
        print(f"workbench power: warning: {_rename(w.message)}", file=sys.stderr)
    return design


def _rename(exc):
    from ._common import rename_options

    return rename_options(exc, _OPTIONS)


def _design_keys(d) -> dict:
    return {"alternative": d.alternative, "kmax": d.kmax, "design": d.type_of_design,
            "information_rates": list(d.information_rates),
            "critical_values": list(d.critical_values), "stage_levels": list(d.stage_levels),
            "alpha_spent": list(d.alpha_spent), "inflation_factor": d.inflation_factor,
            "rejection_probabilities": list(d.rejection_probabilities),
            "cumulative_power": list(d.power)}


def _ceil(x: float) -> int:
    return int(math.ceil(x - 1e-9))


def run_rates(args, output) -> int:
    """``workbench power rates ... --kmax K``: subjects per look of a group-sequential design."""
    from ..exceptions import InvalidParameterError
    from ..power.sequential import sample_size_rates_sequential

    if args.power is None or any(v is not None for v in (args.n1, args.n2, args.n)):
        raise InvalidParameterError(
            "with --kmax give --power (the group-sequential sample size); power at given sizes "
            "is for the fixed design."
        )
    if args.method != "normal" or args.dropout or args.two_sided_power:
        raise InvalidParameterError(
            "with --kmax only --method normal without --dropout and --two-sided-power is "
            "available (rpact getSampleSizeRates)."
        )
    d = _design(args, 1.0 - args.power, _alternative(args, args.p1 - args.p2 > args.margin))
    try:
        s = sample_size_rates_sequential(d, p1=args.p1, p2=args.p2,
                                         allocation_ratio=args.ratio, margin=args.margin)
    except InvalidParameterError as exc:
        raise _rename(exc) from None
    n_arm = [_ceil(s.max_subjects1), _ceil(s.max_subjects2)]
    out = {"n_per_arm": n_arm, "n_total": sum(n_arm),
           "n_exact": [s.max_subjects1, s.max_subjects2], "power": 1.0 - d.beta,
           "alpha": d.alpha, "sided": d.sided, "p1": s.p1, "p2": s.p2, "margin": s.margin,
           "n_fixed": s.n_fixed, **_design_keys(d),
           "n_per_look": list(s.subjects_per_look), "n1_per_look": list(s.subjects_per_look1),
           "n2_per_look": list(s.subjects_per_look2),
           "risk_difference_bounds": list(s.critical_values_effect_scale),
           "events_per_stage": None, "n_per_stage": list(s.subjects_per_look),
           "analysis_times": None, "critical_values_effect": list(s.critical_values_effect_scale),
           "expected_n": {"h1": s.expected_subjects_h1, "h01": s.expected_subjects_h01,
                          "h0": s.expected_subjects_h0}}
    text = f"{d}\n\n{s}\nn per arm {n_arm[0]} + {n_arm[1]} = {sum(n_arm)}"
    return output(out, args, text)


def run_survival(args, output) -> int:
    """``workbench power survival ... --kmax K``: a group-sequential time-to-event design.

    Events, patients and look times, or power at a maximum number of events.
    """
    from ..exceptions import InvalidParameterError
    from ..power.analytic import hazard_ratio_from_probabilities
    from ..power.sequential import (
        DEFAULT_ACCRUAL_TIME,
        DEFAULT_DROPOUT_TIME,
        power_survival_sequential,
        sample_size_survival_sequential,
    )

    if args.method == "hsieh-freedman" or args.two_sided_power:
        raise InvalidParameterError(
            "with --kmax --method must be schoenfeld or freedman, without --two-sided-power."
        )
    if args.follow_up_type != "calendar":
        raise InvalidParameterError(
            "with --kmax the follow-up is calendar time after the end of accrual "
            "(--follow-up-type calendar), as rpact."
        )
    if args.events is not None:
        if any(v is not None for v in (args.power, args.n, args.n1, args.n2)):
            raise InvalidParameterError("give --events alone (power) or --power (sample size).")
        hr = args.hr
        if hr is None:
            if None in (args.p1, args.p2, args.at):
                raise InvalidParameterError("give the effect: --hr, or --p1 with --p2 and --at.")
            hr = hazard_ratio_from_probabilities(args.p1, args.p2, args.at)
        d = _design(args, 0.2, _alternative(args, hr >= 1))
        try:
            p = power_survival_sequential(d, max_events=args.events, hazard_ratio=hr,
                                          allocation_ratio=args.ratio)
        except InvalidParameterError as exc:
            raise _rename(exc) from None
        # an expected number of events (not whole) is used as given: no rounded count beside it
        whole = float(args.events).is_integer()
        out = {"events": _ceil(args.events) if whole else None, "events_exact": args.events,
               "power": p.power,
               "hazard_ratio": hr, "alpha": d.alpha, "sided": d.sided, **_design_keys(d),
               "events_per_look": list(p.information_per_look),
               "events_per_stage": list(p.information_per_look), "n_per_stage": None,
               "analysis_times": None,
               "critical_values_effect": list(p.critical_values_effect_scale),
               "reject_per_look": list(p.reject_per_look),
               "expected_events_h1": p.expected_information}
        return output(out, args, f"{d}\n\n{p}")
    if args.power is None or any(v is not None for v in (args.n, args.n1, args.n2)):
        raise InvalidParameterError(
            "with --kmax give --power (events, patients and look times) or --events (power)."
        )
    if args.follow_up is None:
        raise InvalidParameterError("with --kmax and --power give --follow-up.")
    if args.hr is not None:
        upper = args.hr > 1
    elif args.p1 is not None and args.p2 is not None:
        upper = args.p1 > args.p2
    else:
        upper = False  # the effect is incomplete: the sample size names what is missing
    d = _design(args, 1.0 - args.power, _alternative(args, upper))
    accrual = DEFAULT_ACCRUAL_TIME if args.accrual is None else args.accrual
    kw = dict(accrual_time=accrual, follow_up=args.follow_up,
              allocation_ratio=args.ratio, method=args.method)
    if args.dropout is not None:
        drop_at = args.dropout_at if args.dropout_at is not None else DEFAULT_DROPOUT_TIME
        kw.update(dropout_rate1=args.dropout, dropout_rate2=args.dropout, dropout_time=drop_at)
    try:
        if args.hr is not None:
            if args.p2 is None or args.at is None:
                raise InvalidParameterError("with --hr give the control arm as --p2 and --at.")
            s = sample_size_survival_sequential(d, hazard_ratio=args.hr, p2=args.p2,
                                                event_time=args.at, **kw)
        else:
            if args.at is None:
                raise InvalidParameterError("`--at` (the time of --p1 and --p2) is needed.")
            s = sample_size_survival_sequential(d, p1=args.p1, p2=args.p2,
                                                event_time=args.at, **kw)
    except InvalidParameterError as exc:
        raise _rename(exc) from None
    n_arm = [_ceil(s.max_subjects1), _ceil(s.max_subjects2)]
    out = {"n_per_arm": n_arm, "n_total": sum(n_arm),
           "n_exact": [s.max_subjects1, s.max_subjects2], "events": _ceil(s.max_events),
           "events_exact": s.max_events, "power": 1.0 - d.beta, "hazard_ratio": s.hazard_ratio,
           "alpha": d.alpha, "sided": d.sided, "events_fixed": s.events_fixed,
           **_design_keys(d), "events_per_look": list(s.events_per_look),
           "events_per_look_ceiling": list(s.events_per_look_ceiling),
           "analysis_times": list(s.analysis_times), "n_per_look": list(s.subjects_per_look),
           "hazard_ratio_bounds": list(s.critical_values_effect_scale),
           "events_per_stage": list(s.events_per_look), "n_per_stage": list(s.subjects_per_look),
           "critical_values_effect": list(s.critical_values_effect_scale),
           "expected_events": {"h1": s.expected_events_h1, "h01": s.expected_events_h01,
                               "h0": s.expected_events_h0},
           "expected_n_h1": s.expected_subjects_h1, "study_duration_h1": s.study_duration_h1,
           "accrual_intensity": s.accrual_intensity}
    text = (f"{d}\n\n{s}\nevents {_ceil(s.max_events)} (exact {s.max_events:.3f}); n per arm "
            f"{n_arm[0]} + {n_arm[1]} = {sum(n_arm)}")
    return output(out, args, text)
