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
``cox_tests``, ``warnings`` and ``settings``. With any of ``--fh``, ``--mb``, ``--maxcombo``,
``--tau`` or ``--milestone`` one more key, ``nph``, holds the tests for non-proportional hazards
that were asked for: ``fleming_harrington`` [{rho, gamma, z, chisq, p_value}], ``magirr_burman``
{t_star, z, p_value}, ``maxcombo`` {z, max_z, p_value_one_sided, max_abs_z, p_value_two_sided},
``rmst_difference`` {tau, difference, se, z, p_value} and ``milestone`` {time, difference, se, z,
p_value}; z > 0 means more events than expected in the first group (sorted order, as R's
``survdiff``), differences are the second group minus the first. ``--tau``, ``--mb`` and
``--milestone`` must be > 0 and not beyond the last follow-up time (an error otherwise), except
that ``--tau`` given alone keeps its older meaning: a horizon past a group's follow-up extends that
curve flat with a warning, and ``nph`` is then left out. A value that does not exist is null;
infinite values are the strings "Inf"/"-Inf". Bad input prints one line on stderr and exits with
code 2.
"""

from __future__ import annotations

import argparse
import math

# library parameter -> command-line option, for error messages
_OPTIONS = {"times": "--times", "tau": "--tau", "ties": "--ties", "conf_type": "--ci",
            "conf_level": "--conf-level", "reference": "--reference", "rho": "--fh",
            "gamma": "--fh", "t_star": "--mb", "milestone": "--milestone"}


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
    nph = p.add_argument_group("non-proportional hazards (two groups; adds the JSON key 'nph')")
    nph.add_argument("--fh", metavar="RHO:GAMMA,...", default=None, nargs="?",
                     const="0:0,0:1,1:0,1:1",
                     help="Fleming-Harrington weighted log-rank tests FH(rho, gamma), e.g. "
                          "0:0,0:1,1:0,1:1 (the default when --fh has no value; stratified "
                          "with --strata)")
    nph.add_argument("--mb", type=float, default=None, metavar="T_STAR",
                     help="Magirr-Burman modestly weighted log-rank test with threshold T_STAR")
    nph.add_argument("--maxcombo", action="store_true",
                     help="MaxCombo test over FH(0,0), FH(0,1), FH(1,0), FH(1,1)")
    nph.add_argument("--milestone", type=float, default=None, metavar="TIME",
                     help="difference in Kaplan-Meier survival at TIME (second group minus first)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _fh_pairs(text: str) -> list[tuple[float, float]]:
    from ..exceptions import InvalidParameterError

    pairs = []
    for item in text.split(","):
        parts = item.strip().split(":")
        try:
            rho, gamma = (float(x) for x in parts)
            ok = rho >= 0 and gamma >= 0 and math.isfinite(rho + gamma)
        except ValueError:
            ok = False
        if not ok:
            raise InvalidParameterError(
                f"`--fh` must be a comma-separated list of RHO:GAMMA pairs with rho >= 0 and "
                f"gamma >= 0 (e.g. 0:0,0:1,1:0,1:1); got {text!r}.")
        pairs.append((rho, gamma))
    return pairs


def _nph(args, df) -> dict | None:
    """The ``nph`` key: the tests for non-proportional hazards that the flags ask for."""
    from ..analysis.survival import (
        fleming_harrington_test,
        magirr_burman_test,
        maxcombo_test,
        milestone_test,
        rmst_difference_test,
    )

    asked = args.fh is not None or args.mb is not None or args.maxcombo \
        or args.milestone is not None
    if args.tau is not None and not asked:
        # --tau alone keeps its older meaning (the RMST report's horizon, extended flat past a
        # group's follow-up with a warning); the RMST z-test joins ``nph`` only where it is defined
        from ..analysis.survival.nph import follow_up_end

        if not (0 < args.tau <= follow_up_end(df, time=args.time, event=args.event,
                                              group=args.group)):
            return None
    elif not asked:
        return None
    cols = {"time": args.time, "event": args.event, "group": args.group}
    out: dict = {}
    if args.fh is not None:
        out["fleming_harrington"] = []
        for rho, gamma in _fh_pairs(args.fh):
            r = fleming_harrington_test(df, **cols, strata=args.strata, rho=rho, gamma=gamma)
            out["fleming_harrington"].append({"rho": rho, "gamma": gamma, "z": r.z,
                                              "chisq": r.chisq, "p_value": r.p_value,
                                              "u": r.u, "variance": r.variance})
    if args.mb is not None:
        r = magirr_burman_test(df, **cols, strata=args.strata, t_star=args.mb)
        out["magirr_burman"] = {"t_star": r.t_star, "z": r.z, "chisq": r.chisq,
                                "p_value": r.p_value, "u": r.u, "variance": r.variance}
    if args.maxcombo:
        m = maxcombo_test(df, **cols, strata=args.strata)
        out["maxcombo"] = {"z": list(m.z), "max_z": m.max_z,
                           "p_value_one_sided": m.p_value_one_sided, "max_abs_z": m.max_abs_z,
                           "p_value_two_sided": m.p_value_two_sided,
                           "tests": [{"rho": r, "gamma": g} for r, g in m.tests],
                           "correlation": m.correlation.tolist()}
    if args.tau is not None:
        d = rmst_difference_test(df, **cols, tau=args.tau)
        out["rmst_difference"] = {"tau": d.at, "difference": d.difference, "se": d.se, "z": d.z,
                                  "p_value": d.p_value, "group1": d.group1, "group2": d.group2,
                                  "rmst1": d.estimate1, "rmst2": d.estimate2, "se1": d.se1,
                                  "se2": d.se2}
    if args.milestone is not None:
        d = milestone_test(df, **cols, milestone=args.milestone)
        out["milestone"] = {"time": d.at, "difference": d.difference, "se": d.se, "z": d.z,
                            "p_value": d.p_value, "group1": d.group1, "group2": d.group2,
                            "surv1": d.estimate1, "surv2": d.estimate2, "se1": d.se1,
                            "se2": d.se2}
    if args.strata is not None:
        out["strata"] = args.strata
    return out


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
            nph = _nph(args, df)
    except InvalidParameterError as exc:
        raise rename_options(exc, _OPTIONS) from None
    messages = list(dict.fromkeys(str(w.message) for w in caught))
    out = res.to_json()
    out["warnings"] = messages
    out["settings"]["data"] = args.data
    if nph is not None:
        out["nph"] = nph
    if args.json:
        print_json(out)
    else:
        print(_report(res, args.data))
        if nph is not None:
            print(_nph_report(nph))
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


def _nph_report(nph: dict) -> str:
    from ._common import fmt_number as _fmt
    from ._common import fmt_p as _p

    lines = ["", "Tests for non-proportional hazards (z > 0: more events than expected in the "
             "first group" + (f"; stratified by {nph['strata']}" if "strata" in nph else "") + "):"]
    for r in nph.get("fleming_harrington", []):
        lines.append(f"  FH({r['rho']:g}, {r['gamma']:g}): z = {_fmt(r['z'])}, "
                     f"p = {_p(r['p_value'])}")
    if "magirr_burman" in nph:
        r = nph["magirr_burman"]
        lines.append(f"  Magirr-Burman (t* = {r['t_star']:g}): z = {_fmt(r['z'])}, "
                     f"p = {_p(r['p_value'])}")
    if "maxcombo" in nph:
        r = nph["maxcombo"]
        lines.append(f"  MaxCombo: max z = {_fmt(r['max_z'])}, one-sided p = "
                     f"{_p(r['p_value_one_sided'])}; max |z| = {_fmt(r['max_abs_z'])}, "
                     f"two-sided p = {_p(r['p_value_two_sided'])}")
    for key, label, at in (("rmst_difference", "RMST difference", "tau"),
                           ("milestone", "Milestone survival difference", "time")):
        if key in nph:
            r = nph[key]
            lines.append(f"  {label} at {at} = {r[at]:g} ({r['group2']} - {r['group1']}): "
                         f"{_fmt(r['difference'])} (SE {_fmt(r['se'])}), z = {_fmt(r['z'])}, "
                         f"p = {_p(r['p_value'])}")
    return "\n".join(lines)
