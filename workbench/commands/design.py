r"""``workbench design sequential|monitor``: group-sequential boundaries and monitoring.

Examples::

    workbench design sequential --kmax 3 --alpha 0.025 --alternative greater --beta 0.2 \
        --info 0.25,0.6,1 --design asOF --futility bsOF --json
    workbench design monitor --kmax 3 --design asOF --z 1.1,2.8 --reached 0.35,0.62 --json
    workbench design monitor --kmax 3 --z=-1.2,-2.9 --events 22,41 --max-events 65

``--alternative`` is the side of the test of experimental minus control: ``greater`` (reject for
large z), ``less`` (reject for small z; a hazard ratio below 1) or ``two-sided``. ``--sided 1|2`` is
its alias: 2 is ``two-sided`` and 1 is one-sided, ``greater``, except for log-rank monitoring
(``monitor --events``), where it is ``less`` (a hazard ratio below 1); without either the design is
one-sided in that sense.

With ``--json`` one JSON object is printed: ``critical_values``, ``stage_levels``, ``alpha_spent``
(cumulative), ``futility_bounds`` and ``beta_spent`` (null without futility; a null bound is a
look without a futility stop, and two-sided designs stop for futility when ``|z| < bound``),
``inflation_factor``, ``power`` (cumulative), ``rejection_probabilities``,
``futility_probabilities``, ``asn`` {h1, h01, h0} (expected information as a ratio to the fixed
design), ``information_rates``, ``n_fixed``, ``shift`` and ``settings`` (with ``alternative``
and, as before, ``sided``). Lists run over the looks (futility over the looks before the last).
``monitor --json`` prints ``information_rates``, ``z`` (oriented: large values favour the
alternative), ``critical_values``, ``futility_bounds``, ``alpha_spent``, ``stage_levels`` and
``decisions`` over the looks performed, ``final``, ``stop_look``, ``rejected`` and, with
``--events``, hazard-ratio ``estimates``, ``rci_lower`` and ``rci_upper``. Bad input prints one
line on stderr naming the option and exits with code 2.
"""

from __future__ import annotations

import argparse
import re

#: library parameter -> command-line option, for error messages
_OPTIONS = {
    "kmax": "--kmax", "alpha": "--alpha", "beta": "--beta", "sided": "--sided",
    "alternative": "--alternative",
    "information_rates": "--info", "type_of_design": "--design", "delta_wt": "--delta-wt",
    "gamma": "--gamma", "rho": "--rho", "futility": "--futility", "binding": "--binding",
    "futility_gamma": "--futility-gamma", "futility_rho": "--futility-rho",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``design`` verb to the command's subparsers."""
    p = sub.add_parser(
        "design",
        help="trial designs: group-sequential boundaries and characteristics",
        description="Design calculations. `workbench design sequential --help` for details.",
    )
    verbs = p.add_subparsers(dest="design_verb", metavar="WHAT", required=True)
    s = verbs.add_parser(
        "sequential",
        help="group-sequential boundaries, alpha/beta spending and design characteristics",
        description=(
            "Boundaries of a group-sequential design (O'Brien-Fleming, Pocock, Wang-Tsiatis, "
            "Lan-DeMets alpha spending, Hwang-Shih-DeCani, Kim-DeMets), optional beta-spending "
            "futility bounds, and the design characteristics (inflation factor, power by look, "
            "expected information). Numbers match rpact's getDesignGroupSequential and "
            "getDesignCharacteristics."
        ),
        epilog=(
            "Defaults: equally spaced looks; --design asOF. ASN values are expected information "
            "as a ratio to the fixed-sample design under H1, halfway (h01) and H0."
        ),
    )
    _design_options(s)
    s.set_defaults(func=_sequential)
    m = verbs.add_parser(
        "monitor",
        help="interim monitoring: boundaries at the information reached, decisions, RCIs",
        description=(
            "Monitor a group-sequential trial: the boundaries of the design (same options as "
            "`workbench design sequential`) recomputed for the information actually reached "
            "(alpha spending at the fractions reached), the decision at each look and, with "
            "--events, repeated confidence intervals for the hazard ratio from log-rank z "
            "statistics."
        ),
        epilog=(
            "Give --z and either --reached (information fractions of the planned maximum) or "
            "--events with --max-events (log-rank: --z is (O1 - E1)/sqrt(V) of arm 1, negative "
            "when arm 1 does better; write negative lists as --z=-1.2,-2.9). The last look is "
            "the final analysis when it is look kmax or its information reaches 1, or with "
            "--final."
        ),
    )
    _design_options(m)
    m.add_argument("--z", required=True, metavar="Z1,Z2,...",
                   help="test statistic at each look performed (--z=-1.2,... if negative)")
    m.add_argument("--reached", metavar="T1,T2,...", default=None,
                   help="information fraction reached at each look")
    m.add_argument("--events", metavar="D1,D2,...", default=None,
                   help="events at each look (log-rank monitoring, with --max-events)")
    m.add_argument("--max-events", type=float, default=None, help="planned final events")
    m.add_argument("--final", action="store_true", help="the last look is the final analysis")
    m.set_defaults(func=_monitor)


def _design_options(s: argparse.ArgumentParser) -> None:
    s.add_argument("--kmax", type=int, default=None,
                   help="number of looks (default 3, or the number of --info rates)")
    s.add_argument("--alpha", type=float, default=0.025,
                   help="type I error, both tails together when two-sided (default 0.025)")
    s.add_argument("--beta", type=float, default=0.2, help="type II error (default 0.2)")
    s.add_argument("--alternative", choices=("greater", "less", "two-sided"), default=None,
                   help="side of the test of experimental minus control: greater (reject for "
                        "large z), less (reject for small z; a hazard ratio below 1) or "
                        "two-sided (alias: --sided; default one-sided: greater, or less for "
                        "log-rank monitoring with --events)")
    s.add_argument("--sided", type=int, default=None, metavar="{1,2}",
                   help="alias of --alternative: 2 = two-sided, 1 = one-sided (greater; less "
                        "for log-rank monitoring with --events)")
    s.add_argument("--info", metavar="T1,T2,...", default=None,
                   help="information rates, strictly increasing, at least 0.001 apart, "
                        "ending at 1")
    s.add_argument("--design", default="asOF", metavar="TYPE",
                   help="OF, P, WT, asOF, asP, asHSD or asKD (default asOF)")
    s.add_argument("--delta-wt", type=float, default=None, help="Wang-Tsiatis Delta (WT)")
    s.add_argument("--gamma", type=float, default=None,
                   help="Hwang-Shih-DeCani parameter (asHSD), in [-10, 5]")
    s.add_argument("--rho", type=float, default=None,
                   help="Kim-DeMets exponent (asKD), in [0.4, 8]")
    s.add_argument("--futility", default=None, metavar="TYPE|Z1,Z2,...",
                   help="beta spending bsOF, bsP, bsHSD or bsKD, or fixed z futility bounds")
    s.add_argument("--futility-gamma", type=float, default=None, help="parameter of bsHSD")
    s.add_argument("--futility-rho", type=float, default=None, help="parameter of bsKD")
    s.add_argument("--binding", action="store_true", help="binding futility bounds")
    s.add_argument("--json", action="store_true", help="print one JSON object")


def _flagged(exc: Exception | Warning | str) -> str:
    """The library's message with parameter names replaced by the command-line options."""
    return re.sub(r"`([a-z_]+)`", lambda m: f"`{_OPTIONS.get(m.group(1), m.group(1))}`",
                  str(exc))


def _make_design(args: argparse.Namespace, logrank: bool = False):
    """The design of the command line, the library's warnings as one line each on stderr.

    A warning (an option that does not apply) names the option.
    """
    import sys
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        design = _build_design(args, logrank)
    for w in caught:
        print(f"workbench design: warning: {_flagged(w.message)}", file=sys.stderr)
    return design


def _alternative(args: argparse.Namespace, logrank: bool = False) -> str:
    """--alternative, else its alias --sided: 2 is two-sided, 1 (the default) one-sided.

    One-sided is "greater", or "less" for log-rank monitoring (a hazard ratio below 1).
    """
    from ..exceptions import InvalidParameterError

    if args.alternative is not None:
        return args.alternative
    if args.sided in (None, 1):
        return "less" if logrank else "greater"
    if args.sided == 2:
        return "two-sided"
    raise InvalidParameterError(f"`--sided` must be 1 or 2; got {args.sided!r}.")


def _build_design(args: argparse.Namespace, logrank: bool = False):
    from ..design.sequential import group_sequential_design
    from ._common import split_list

    info = split_list(args.info, "information_rates") if args.info is not None else None
    kmax = args.kmax
    if kmax is None:
        kmax = len(info) if info is not None else 3
    futility = args.futility
    if futility is not None and not futility.startswith("bs"):
        futility = split_list(futility, "futility")
    return group_sequential_design(
        kmax=kmax, alpha=args.alpha, beta=args.beta, alternative=_alternative(args, logrank),
        information_rates=info, type_of_design=args.design, delta_wt=args.delta_wt,
        gamma=args.gamma, rho=args.rho, futility=futility, binding=args.binding,
        futility_gamma=args.futility_gamma, futility_rho=args.futility_rho,
    )


def _monitor(args: argparse.Namespace) -> int:
    from ..exceptions import InvalidParameterError
    from ..power.sequential import monitor_logrank, monitor_sequential
    from ._common import print_json, split_list

    names = {"z": "--z", "information_rates": "--reached", "events": "--events",
             "max_events": "--max-events", "final": "--final"}
    try:
        design = _make_design(args, logrank=args.events is not None)
        z = split_list(args.z, "z")
        final = True if args.final else None
        if (args.reached is None) == (args.events is None):
            raise InvalidParameterError("give --reached or --events (with --max-events).")
        if args.events is not None:
            if args.max_events is None:
                raise InvalidParameterError("`--events` needs `--max-events`.")
            mon = monitor_logrank(design, z=z, events=split_list(args.events, "events"),
                                  max_events=args.max_events, final=final)
        else:
            mon = monitor_sequential(design, z=z,
                                     information_rates=split_list(args.reached,
                                                                  "information_rates"),
                                     final=final)
    except InvalidParameterError as exc:
        msg = re.sub(r"`([a-z_]+)`", lambda m: f"`{names.get(m.group(1), m.group(1))}`"
                     if m.group(1) in names else m.group(0), str(exc))
        raise InvalidParameterError(_flagged(msg)) from None
    if args.json:
        print_json({
            "information_rates": list(mon.information_rates), "z": list(mon.z),
            "critical_values": list(mon.critical_values),
            "futility_bounds": list(mon.futility_bounds), "alpha_spent": list(mon.alpha_spent),
            "stage_levels": list(mon.stage_levels), "decisions": list(mon.decisions),
            "final": mon.final, "stop_look": mon.stop_look, "rejected": mon.rejected,
            "estimates": list(mon.estimates) if mon.estimates else None,
            "rci_lower": list(mon.rci_lower) if mon.rci_lower else None,
            "rci_upper": list(mon.rci_upper) if mon.rci_upper else None,
            "effect": mon.effect if mon.estimates else None,
        })
    else:
        print(mon)
    return 0


def _sequential(args: argparse.Namespace) -> int:
    from ..exceptions import InvalidParameterError
    from ._common import print_json

    try:
        design = _make_design(args)
    except InvalidParameterError as exc:
        raise InvalidParameterError(_flagged(exc)) from None
    if args.json:
        out = design.to_cli_dict()
        out.update({
            "futility_probabilities": list(design.futility_probabilities),
            "information_rates": list(design.information_rates),
            "n_fixed": design.n_fixed,
            "shift": design.shift,
            "settings": {
                "kmax": design.kmax, "alpha": design.alpha, "beta": design.beta,
                "alternative": design.alternative, "sided": design.sided,
                "design": design.type_of_design,
                "delta_wt": design.delta_wt, "gamma": design.gamma, "rho": design.rho,
                "futility": design.futility, "binding": design.binding,
                "futility_gamma": design.futility_gamma, "futility_rho": design.futility_rho,
            },
        })
        print_json(out)
    else:
        print(design)
    return 0
