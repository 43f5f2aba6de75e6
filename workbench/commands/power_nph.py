r"""``workbench power nph``: sample size and power under non-proportional hazards (fixed design).

Example (gsDesign2's delayed-effect scenario)::

    workbench power nph --control-median 12 --hr 1,0.6 --change-at 4 --accrual 18 \
        --study-duration 36 --dropout-hazard 0.001 --alpha 0.025 --sided 1 --power 0.9 \
        --test ahr --json

The control arm is exponential with median ``--control-median``; the experimental arm has the
control hazard times ``--hazard-ratio`` (alias ``--hr``), one value per period between the
``--change-at`` times (since entry). Accrual is uniform over ``--accrual-time`` (alias
``--accrual``), the analysis at calendar time ``--study-duration``, loss to follow-up a hazard
``--dropout-rate`` (alias ``--dropout-hazard``). ``--test``: ``ahr`` (average hazard ratio),
``logrank``, ``fh:RHO:GAMMA``, ``mb:T_STAR`` (closed forms, as gsDesign2), ``maxcombo``,
``rmst:TAU``, ``milestone:TIME`` (simulation, ``--reps`` replicates, with the Monte Carlo error).
``--alternative`` (alias ``--sided``: 1 is one-sided in the direction of the effect, 2 two-sided)
defaults to two-sided, where ``--alpha`` (default 0.05) is split over both tails.

With ``--json`` one object: ``n_total_exact`` and ``events_exact`` (unrounded), ``n_total`` and
``events`` (rounded up), ``power`` (at ``n_total``; simulated for the simulated tests), ``method``,
``ahr`` (null where it does not apply), ``mcse``, ``test``, ``alpha``, ``sided``,
``alternative``, ``n_per_arm`` and the settings.
"""

from __future__ import annotations

import argparse

_OPTIONS = {
    "control_median": "--control-median", "hazard_ratios": "--hazard-ratio (--hr)",
    "change_times": "--change-at", "accrual_time": "--accrual-time",
    "study_duration": "--study-duration", "dropout_rate": "--dropout-rate",
    "allocation_ratio": "--allocation-ratio", "alpha": "--alpha", "power": "--power",
    "n_total": "--n", "test": "--test", "alternative": "--alternative", "n_reps": "--reps",
}


def register(verbs) -> argparse.ArgumentParser:
    """Add ``power nph`` to the ``power`` verb's subparsers."""
    p = verbs.add_parser(
        "nph",
        help="fixed design under non-proportional hazards (delayed effect): AHR, weighted "
             "log-rank, MaxCombo, RMST, milestone",
        description=__doc__.split("\n\n")[0].split(": ", 1)[1],
        epilog="Closed forms match gsDesign2 (fixed_design_ahr, fixed_design_fh).",
    )
    p.add_argument("--control-median", type=float, required=True, metavar="M",
                   help="median event time of the control arm (exponential)")
    p.add_argument("--hazard-ratio", "--hr", dest="hazard_ratio", required=True,
                   metavar="HR1,HR2,...",
                   help="experimental/control hazard ratio in each period (alias: --hr)")
    p.add_argument("--change-at", default=None, metavar="T1,...",
                   help="times since entry at which the hazard ratio changes (one fewer than "
                        "hazard ratios)")
    p.add_argument("--accrual-time", "--accrual", dest="accrual_time", type=float,
                   required=True, metavar="A", help="uniform accrual period (alias: --accrual)")
    p.add_argument("--study-duration", type=float, required=True, metavar="D",
                   help="calendar time of the analysis, from the first entry")
    p.add_argument("--dropout-rate", "--dropout-hazard", dest="dropout_rate", type=float,
                   default=0.0, metavar="H",
                   help="loss to follow-up hazard per time unit (default 0; alias: "
                        "--dropout-hazard)")
    p.add_argument("--allocation-ratio", "--ratio", dest="allocation_ratio", type=float,
                   default=1.0, help="allocation n experimental / n control (default 1; alias: "
                                     "--ratio)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="type I error, both tails together when two-sided (default 0.05)")
    p.add_argument("--alternative", choices=("two-sided", "less", "greater"), default=None,
                   help="two-sided (default) or one-sided in the direction of the effect "
                        "(alias: --sided)")
    p.add_argument("--sided", type=int, default=None, metavar="{1,2}",
                   help="alias of --alternative: 1 one-sided in the direction of the effect, "
                        "2 two-sided")
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--power", type=float, default=None, help="target power: solve N")
    size.add_argument("--n", type=float, default=None, help="total sample size: compute power")
    p.add_argument("--test", default="ahr",
                   help="ahr (default), logrank, fh:RHO:GAMMA, mb:T_STAR, maxcombo, rmst:TAU, "
                        "milestone:TIME")
    p.add_argument("--reps", type=int, default=10000,
                   help="replicates for the simulated tests (default 10000)")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulated tests (default 1)")
    p.add_argument("--exact", action="store_true",
                   help="weighted log-rank integrals to 1e-12 instead of gsDesign2's tolerances")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)
    return p


def _run(args) -> int:
    from .._validation import check_count
    from ..design import nph_design
    from ..exceptions import InvalidParameterError
    from ..power.nph import power_nph
    from ._common import print_json, rename_options, split_list

    try:
        ratios = split_list(args.hazard_ratio, "hazard_ratios")
        times = split_list(args.change_at, "change_times") if args.change_at else []
        if not ratios:
            raise InvalidParameterError("`hazard_ratios` must give at least one hazard ratio.")
        if args.sided is not None and args.sided not in (1, 2):
            raise InvalidParameterError(f"`--sided` must be 1 or 2; got {args.sided!r}.")
        design = nph_design(control_median=args.control_median, hazard_ratios=ratios,
                            change_times=times, n_total=100, accrual_time=args.accrual_time,
                            study_duration=args.study_duration, dropout_rate=args.dropout_rate,
                            allocation_ratio=args.allocation_ratio)
        if args.sided == 2:
            alternative = "two-sided"
        elif args.sided == 1:
            alternative = design.effect_direction
        else:
            alternative = args.alternative or "two-sided"
        if args.alternative is not None and args.alternative != alternative:
            raise InvalidParameterError(
                f"`--sided` {args.sided} (alternative {alternative}) contradicts `--alternative` "
                f"{args.alternative}: give one of them.")
        check_count("n_total", args.n, minimum=4, strict=False, allow_none=True)
        res = power_nph(design, test=args.test, alpha=args.alpha, power=args.power,
                        n_total=args.n, alternative=alternative, n_reps=args.reps,
                        rng=args.seed, exact=args.exact)
    except InvalidParameterError as exc:
        raise rename_options(exc, _OPTIONS) from None
    d = design.with_total(res.n_total)
    out = {
        "n_total_exact": res.n_total_exact, "events_exact": res.events_exact,
        "n_total": res.n_total, "events": res.events, "power": res.power,
        "method": res.method, "ahr": res.ahr, "mcse": res.mcse, "test": args.test,
        "target_power": res.target_power, "alpha": args.alpha,
        "sided": 2 if res.alternative == "two-sided" else 1, "alternative": res.alternative,
        "n_per_arm": [a.n for a in d.arms], "arm_names": list(d.arm_names),
        "n_reps": res.n_reps, "theta": res.theta, "info_per_patient": res.info_per_patient,
        "info0_per_patient": res.info0_per_patient,
        "settings": {"control_median": args.control_median, "hazard_ratios": ratios,
                     "change_times": times, "accrual_time": args.accrual_time,
                     "study_duration": args.study_duration, "dropout_rate": args.dropout_rate,
                     "allocation_ratio": args.allocation_ratio},
    }
    if args.json:
        print_json(out)
    else:
        side = "two-sided" if res.alternative == "two-sided" else "one-sided"
        lines = [f"Non-proportional hazards, test {args.test}: {res.method}",
                 f"  hazard ratio {', '.join(f'{r:g}' for r in ratios)}"
                 + (f" (changes at {', '.join(f'{t:g}' for t in times)})" if times else "")
                 + f"; control median {args.control_median:g}; accrual {args.accrual_time:g}; "
                   f"analysis at {args.study_duration:g}",
                 f"  alpha {args.alpha:g} ({side})",
                 f"  N = {res.n_total} (exact {res.n_total_exact:.4f}), events {res.events} "
                 f"(exact {res.events_exact:.4f}), power {res.power:.4f}"
                 + (f" (MCSE {res.mcse:.4f})" if res.mcse is not None else "")]
        if res.ahr is not None:
            lines.append(f"  average hazard ratio {res.ahr:.6f}")
        print("\n".join(lines))
    return 0
