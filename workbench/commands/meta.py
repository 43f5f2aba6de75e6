"""``workbench meta DATA.csv``: meta-analysis of a study-level CSV.

Input (one of):

* ``--yi COL --vi COL``: effect sizes and sampling variances already computed;
* ``--measure SMD --m1 COL --sd1 COL --n1 COL --m2 COL --sd2 COL --n2 COL``: Hedges' g from means,
  SDs and sizes (group 1 experimental);
* ``--measure RR|OR|RD --events1 COL --n1 COL --events2 COL --n2 COL``: log risk ratio, log odds
  ratio or risk difference from counts (0.5 added to the cells of tables with a zero cell).

Options: ``--method REML|DL|PM|FE|MH`` (default REML; MH needs counts), ``--knha`` (Hartung-Knapp),
``--study COL`` (labels used in messages), ``--conf-level`` (default 0.95; alias ``--level``),
``--egger-model rma|lm``
(default rma, metafor's regtest default: the standard error as a moderator in the same model; lm is
the classical weighted regression), ``--json``.

With ``--json`` exactly one JSON object is printed, on the analysis scale (log scale for RR and OR),
I-squared in percent as metafor: ``k, estimate, se, ci_lower, ci_upper, p_value, tau2, i2, h2, q,
q_p, pi_lower, pi_upper`` (metafor's prediction interval: z, or t on k-1 df with --knha; null for FE
and MH), ``pi_lower_t, pi_upper_t`` (t on k-2 df), ``egger`` {statistic, p_value, df, model} (null
with a note when k < 3 or all variances are equal), ``trimfill`` {k0, side, estimate} (L0 estimator,
side chosen as metafor does; null likewise), plus ``method``, ``test``, ``measure``, ``conf_level``
(also as ``level``, its old name), ``tau2_ci_lower``, ``tau2_ci_upper``, ``notes`` and ``settings``.
Egger and trim-and-fill on an MH analysis use the inverse-variance fixed-effect model. Tables with
no events (or only events) in both groups are kept, with 0.5 added, by the inverse-variance methods
(metafor's escalc/rma, drop00 = FALSE); MH leaves them out of Q, I2, H2, Egger and trim-and-fill
(rma.mh, drop00 = TRUE) but counts them in k. A tau2 estimated at zero is a normal result. Bad input
(a missing column, a non-numeric value, a variance <= 0, events above the group size, fewer than two
studies) prints one line naming the study and the column on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse

_SMD_COLS = ("m1", "sd1", "n1", "m2", "sd2", "n2")
_BIN_COLS = ("events1", "n1", "events2", "n2")
_ALL_COLS = ("m1", "sd1", "m2", "sd2", "n1", "n2", "events1", "events2")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``meta`` verb to the command's subparsers."""
    p = sub.add_parser(
        "meta",
        help="meta-analysis of study-level effect sizes, means/SDs or 2x2 counts in a CSV",
        description=(
            "Pool studies from a CSV (one row per study) with a fixed-effect, random-effects "
            "(REML, DerSimonian-Laird, Paule-Mandel, optionally Hartung-Knapp) or Mantel-Haenszel "
            "model; report heterogeneity, prediction intervals, Egger's test and trim-and-fill. "
            "Numbers match R's metafor package."
        ),
        epilog=(
            "Give either --yi/--vi, or --measure SMD with --m1 --sd1 --n1 --m2 --sd2 --n2, or "
            "--measure RR|OR|RD with --events1 --n1 --events2 --n2. Estimates for RR and OR are "
            "on the log scale."
        ),
    )
    p.add_argument("data", metavar="DATA.csv", help="CSV file, one row per study")
    p.add_argument("--yi", metavar="COL", help="column of effect sizes")
    p.add_argument("--vi", metavar="COL", help="column of sampling variances (> 0)")
    p.add_argument("--measure", choices=("SMD", "RR", "OR", "RD"),
                   help="effect measure computed from summary data")
    for name, text in (("m1", "means, group 1"), ("sd1", "SDs, group 1"),
                       ("m2", "means, group 2"), ("sd2", "SDs, group 2"),
                       ("n1", "patients, group 1"), ("n2", "patients, group 2"),
                       ("events1", "events, group 1"), ("events2", "events, group 2")):
        p.add_argument(f"--{name}", metavar="COL", help=f"column of {text}")
    p.add_argument("--method", choices=("REML", "DL", "PM", "FE", "MH"), default="REML",
                   help="pooling method (default REML)")
    p.add_argument("--knha", action="store_true", help="Hartung-Knapp adjustment (t on k-1 df)")
    p.add_argument("--study", metavar="COL", help="column of study labels")
    p.add_argument("--conf-level", "--level", type=float, default=0.95, dest="conf_level",
                   metavar="LEVEL", help="confidence level (default 0.95) (alias: --level)")
    p.add_argument("--egger-model", choices=("rma", "lm"), default="rma", dest="egger_model",
                   help="Egger regression: rma (metafor default) or lm (classical)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _check_options(args) -> None:
    from ..exceptions import InvalidParameterError

    given = [c for c in _ALL_COLS if getattr(args, c) is not None]
    if args.yi is not None or args.vi is not None:
        if args.measure is not None or given:
            extra = ["--measure"] * (args.measure is not None) + [f"--{c}" for c in given]
            raise InvalidParameterError(
                f"use either --yi/--vi or --measure with its columns, not both (got "
                f"{', '.join(extra)} with --yi/--vi).")
        missing = [o for o in ("yi", "vi") if getattr(args, o) is None]
        if missing:
            raise InvalidParameterError(f"`--{missing[0]}` is required with --yi/--vi.")
        if args.method == "MH":
            raise InvalidParameterError(
                "`--method` MH needs event counts: give --measure RR|OR|RD with --events1 --n1 "
                "--events2 --n2.")
        return
    if args.measure is None:
        raise InvalidParameterError(
            "give the data columns: --yi COL --vi COL, or --measure SMD|RR|OR|RD with the "
            "columns it needs.")
    need = _SMD_COLS if args.measure == "SMD" else _BIN_COLS
    missing = [c for c in need if getattr(args, c) is None]
    if missing:
        raise InvalidParameterError(
            f"`--{missing[0]}` is required with --measure {args.measure} (needs "
            f"{' '.join('--' + c for c in need)}).")
    extra = [c for c in given if c not in need]
    if extra:
        raise InvalidParameterError(
            f"`--{extra[0]}` does not belong to --measure {args.measure} (needs "
            f"{' '.join('--' + c for c in need)}).")
    if args.method == "MH" and args.measure == "SMD":
        raise InvalidParameterError("`--method` MH needs --measure RR, OR or RD (event counts).")


def analyse(args) -> dict:
    """Run the analysis for parsed arguments; returns the JSON-ready dict."""
    from ..analysis.meta import (
        effect_sizes,
        egger_test,
        mantel_haenszel,
        meta_analysis,
        trim_and_fill,
    )
    from ..exceptions import DataValidationError, InvalidParameterError
    from ._common import read_csv, rename_options

    _check_options(args)
    df = read_csv(args.data)
    if args.yi is not None:
        data, kw = df, {"yi": args.yi, "vi": args.vi, "study": args.study}
    else:
        cols = {c: getattr(args, c) for c in _ALL_COLS if getattr(args, c) is not None}
        data, kw = effect_sizes(df, measure=args.measure, study=args.study, **cols), {}
    try:
        if args.method == "MH":  # from the columns, so that messages name them
            res = mantel_haenszel(df, measure=args.measure, study=args.study,
                                  conf_level=args.conf_level, events1=args.events1, n1=args.n1,
                                  events2=args.events2, n2=args.n2)
        else:
            res = meta_analysis(data, method=args.method, knha=args.knha,
                                conf_level=args.conf_level, **kw)
    except InvalidParameterError as exc:
        raise rename_options(exc, {"conf_level": "--conf-level"}) from None
    notes = []
    try:
        eg = egger_test(res, model=args.egger_model)
        egger = {"statistic": eg.statistic, "p_value": eg.p_value, "df": eg.df,
                 "model": eg.model, "limit_estimate": eg.limit_estimate}
    except DataValidationError as exc:
        egger = None
        notes.append(f"egger: {exc}")
    try:
        tf = trim_and_fill(res)
        trimfill = {"k0": tf.k0, "side": tf.side, "estimate": tf.estimate,
                    "ci_lower": tf.result.ci_lower, "ci_upper": tf.result.ci_upper}
    except DataValidationError as exc:
        trimfill = None
        notes.append(f"trimfill: {exc}")
    if res.method in ("FE", "MH"):
        notes.append(f"no prediction interval for the {res.method} model (no between-study "
                     "variance is modelled).")
    if res.method == "MH" and args.knha:
        notes.append("--knha does not apply to Mantel-Haenszel pooling (z test used).")
    if res.method == "MH" and egger is not None:
        notes.append("Egger's test and trim-and-fill use the inverse-variance fixed-effect model.")
    if res.tau2 == 0 and res.method not in ("FE", "MH"):
        notes.append("tau2 is estimated at 0: no between-study variance beyond chance.")
    return {
        "k": res.k, "estimate": res.estimate, "se": res.se, "ci_lower": res.ci_lower,
        "ci_upper": res.ci_upper, "p_value": res.p_value, "tau2": res.tau2, "i2": res.i2,
        "h2": res.h2, "q": res.q, "q_p": res.q_p, "pi_lower": res.pi_lower,
        "pi_upper": res.pi_upper, "pi_lower_t": res.pi_lower_t, "pi_upper_t": res.pi_upper_t,
        "egger": egger, "trimfill": trimfill,
        "method": res.method, "test": res.test, "measure": res.measure,
        "conf_level": res.conf_level, "level": res.conf_level,
        "statistic": res.statistic, "df": res.df, "tau2_ci_lower": res.tau2_ci_lower,
        "tau2_ci_upper": res.tau2_ci_upper, "notes": notes,
        "settings": {"data": args.data, "method": args.method, "knha": bool(args.knha),
                     "measure": args.measure, "egger_model": args.egger_model},
    }


def _fmt(x) -> str:
    return "NA" if x is None or x != x else f"{x:.4g}"


def _run(args) -> int:
    from ._common import print_json

    out = analyse(args)
    if args.json:
        print_json(out)
        return 0
    scale = f" ({out['measure']}{', log scale' if out['measure'] in ('RR', 'OR') else ''})" \
        if out["measure"] else ""
    lines = [
        f"Meta-analysis, {out['method']}{' + Hartung-Knapp' if out['test'] == 'knha' else ''}"
        f"{scale}, k = {out['k']}",
        f"  estimate {_fmt(out['estimate'])} (se {_fmt(out['se'])}), "
        f"{100 * out['conf_level']:g}% CI {_fmt(out['ci_lower'])} to {_fmt(out['ci_upper'])}, "
        f"p = {_fmt(out['p_value'])}",
        f"  heterogeneity: tau2 = {_fmt(out['tau2'])} (CI {_fmt(out['tau2_ci_lower'])} to "
        f"{_fmt(out['tau2_ci_upper'])}), I2 = {_fmt(out['i2'])}%, H2 = {_fmt(out['h2'])}, "
        f"Q = {_fmt(out['q'])} (p = {_fmt(out['q_p'])})",
        f"  prediction interval {_fmt(out['pi_lower'])} to {_fmt(out['pi_upper'])} "
        f"(t on k-2 df: {_fmt(out['pi_lower_t'])} to {_fmt(out['pi_upper_t'])})",
    ]
    if out["egger"] is not None:
        e = out["egger"]
        lines.append(f"  Egger ({e['model']}): statistic {_fmt(e['statistic'])}, "
                     f"p = {_fmt(e['p_value'])}")
    if out["trimfill"] is not None:
        t = out["trimfill"]
        lines.append(f"  trim-and-fill: {t['k0']} missing on the {t['side']}, estimate "
                     f"{_fmt(t['estimate'])}")
    lines += [f"  note: {n}" for n in out["notes"]]
    print("\n".join(lines))
    return 0
