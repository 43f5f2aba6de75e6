"""``workbench survival DATA.csv --time COL --event COL --group COL``: KM, log-rank, Cox, RMST.

Defaults (also in ``--help``):

* ``--times``: 6, 12, 24, 36 and 48 (months), keeping those not after the last follow-up time;
  if follow-up is shorter than 6, the quarters of the last follow-up time.
* ``--tau``: the largest follow-up time in the data, R survival's default (``rmean = "common"``);
  a curve that ends earlier is extended flat, with a warning.
* ``--ties efron``, ``--ci log-log``, ``--conf-level 0.95`` (the level of every interval:
  Kaplan-Meier, medians, Cox hazard ratios, RMST), reference group: the first group in sorted order
  of the CSV values as strings.

With ``--json`` exactly one JSON object is printed: ``logrank`` {statistic, df, p_value},
``cox`` [{level, reference, hazard_ratio, coef, se, ci_lower, ci_upper, p_value (Wald)}], ``km``
[{group, time, n_risk, survival, se (Greenwood SE of S), ci_lower, ci_upper}], ``median``
[{group, median, ci_lower, ci_upper}], ``rmst`` [{group, tau, rmst, se}], plus ``rmst_difference``,
``cox_tests``, ``warnings`` and ``settings``. A value that does not exist is null; infinite values
are the strings "Inf"/"-Inf". Bad input prints one line on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse
import math

# library parameter -> command-line option, for error messages
_OPTIONS = {"times": "--times", "tau": "--tau", "ties": "--ties", "conf_type": "--ci",
            "conf_level": "--conf-level", "reference": "--reference"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``survival`` verb to the command's subparsers."""
    p = sub.add_parser(
        "survival",
        help="Kaplan-Meier, log-rank, Cox and RMST for time-to-event data in a CSV",
        description=(
            "Analyse a time-to-event CSV (one row per patient): Kaplan-Meier estimates at chosen "
            "times, median survival, the log-rank test, Cox hazard ratios against a reference "
            "group and restricted mean survival time. Numbers match R's survival package."
        ),
        epilog=(
            "Defaults: --times 6,12,24,36,48 restricted to the follow-up (quarters of the last "
            "follow-up time when it is shorter than 6); --tau the largest follow-up time in the "
            "data (R's rmean='common'); reference group first in sorted order."
        ),
    )
    p.add_argument("data", metavar="DATA.csv", help="CSV file, one row per patient")
    p.add_argument("--time", required=True, metavar="COL", help="column of follow-up times (>= 0)")
    p.add_argument("--event", required=True, metavar="COL",
                   help="column of event indicators (1/0 or true/false)")
    p.add_argument("--group", required=True, metavar="COL", help="column of group labels")
    p.add_argument("--strata", metavar="COL", default=None,
                   help="column of strata: stratify the log-rank test and the Cox model")
    p.add_argument("--times", metavar="T1,T2,...", default=None,
                   help="Kaplan-Meier reporting times (default: see below)")
    p.add_argument("--tau", type=float, default=None, metavar="TAU",
                   help="RMST horizon (default: the largest follow-up time, as R's rmean='common')")
    p.add_argument("--ties", choices=("efron", "breslow", "exact"), default="efron",
                   help="Cox handling of tied event times (default efron)")
    p.add_argument("--ci", choices=("log-log", "log", "plain"), default="log-log",
                   help="scale of the Kaplan-Meier and median intervals (default log-log)")
    p.add_argument("--conf-level", type=float, default=0.95, metavar="LEVEL",
                   help="confidence level of the Kaplan-Meier, median, Cox and RMST intervals "
                        "(default 0.95)")
    p.add_argument("--reference", metavar="LEVEL", default=None,
                   help="reference group for hazard ratios (default: first in sorted order)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import sys
    import warnings

    from ..analysis.survival import analyze_survival
    from ..exceptions import InvalidParameterError
    from ._common import print_json, read_csv, rename_options, split_list

    # group and strata labels are the CSV's values as written ("01" stays "01")
    df = read_csv(args.data, dtype={c: str for c in (args.group, args.strata) if c})
    try:
        times = split_list(args.times, "times") if args.times is not None else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = analyze_survival(df, time=args.time, event=args.event, group=args.group,
                                   strata=args.strata, times=times, tau=args.tau,
                                   ties=args.ties, conf_type=args.ci, reference=args.reference,
                                   conf_level=args.conf_level)
    except InvalidParameterError as exc:
        raise rename_options(exc, _OPTIONS) from None
    messages = list(dict.fromkeys(str(w.message) for w in caught))
    out = res.to_json()
    out["warnings"] = messages
    out["settings"]["data"] = args.data
    if args.json:
        print_json(out)
    else:
        print(_report(res, args.data))
    for m in messages:
        print(f"workbench survival: warning: {m}", file=sys.stderr)
    return 0


def _report(res, path: str) -> str:
    from ._common import fmt_number as _fmt
    from ._common import fmt_p as _p

    s = res.settings
    lvl = f"{100 * s['conf_level']:g}"
    lines = [
        f"Survival analysis of {path}",
        f"  time = {s['time']}, event = {s['event']}, group = {s['group']}"
        + (f", strata = {s['strata']}" if s["strata"] else "")
        + f"; {s['n']} patients, {s['events']} events",
        "",
        f"Log-rank test{' (stratified)' if s['strata'] else ''}: "
        f"chi-square = {_fmt(res.logrank.statistic)} on {res.logrank.df} df, "
        f"p = {_p(res.logrank.p_value)}",
        "",
        f"Cox proportional hazards ({s['ties']} ties"
        + (", stratified" if s["strata"] else "") + f"), reference group {s['reference']}:",
    ]
    for r in res.cox.coefficients.itertuples():
        lines.append(f"  {r.level} vs {r.reference}: HR {_fmt(r.hazard_ratio)} "
                     f"({lvl}% CI {_fmt(r.ci_lower)} to {_fmt(r.ci_upper)}), "
                     f"Wald p = {_p(r.p_value)}")
    t = res.cox
    lines.append(f"  likelihood ratio test {_fmt(t.lr_test['statistic'])} on {t.lr_test['df']} df, "
                 f"p = {_p(t.lr_test['p_value'])}; score test "
                 f"{_fmt(t.score_test['statistic'])}, p = {_p(t.score_test['p_value'])}")
    lines += ["", f"Kaplan-Meier estimates ({lvl}% CI, {s['conf_type']}):"]
    km = res.km.table
    w = max([12] + [len(str(g)) for g in res.km.groups])  # width of the group column
    header = f"  {'group':<{w}} {'time':>8} {'at risk':>8} {'survival':>9} {'SE':>8}  CI"
    lines.append(header)
    for r in km.itertuples():
        se = "NA" if math.isnan(r.se) else f"{r.se:.4f}"
        lines.append(f"  {r.group:<{w}} {_fmt(r.time):>8} {int(r.n_risk):>8} "
                     f"{r.survival:>9.4f} {se:>8}  {_fmt(r.ci_lower)} to {_fmt(r.ci_upper)}")
    lines += ["", f"Median survival ({lvl}% CI):"]
    for r in res.median.table.itertuples():
        med = "not reached" if math.isnan(r.median) else _fmt(r.median)
        lines.append(f"  {r.group:<{w}} {med} ({_fmt(r.ci_lower)} to {_fmt(r.ci_upper)})")
    lines += ["", f"Restricted mean survival time to tau = {_fmt(res.tau)}:"]
    for r in res.rmst.table.itertuples():
        lines.append(f"  {r.group:<{w}} {r.rmst:.4g} (SE {r.se:.3g})")
    for r in res.rmst.differences.itertuples():
        lines.append(f"  {r.level} - {r.reference}: {r.difference:.4g} "
                     f"({lvl}% CI {r.ci_lower:.4g} to {r.ci_upper:.4g}), p = {_p(r.p_value)}")
    return "\n".join(lines)
