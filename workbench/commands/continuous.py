"""``workbench continuous DATA.csv --outcome COL --group COL``: t-test, ANCOVA, Hedges' g, MMRM.

The data are one row per patient, or long (one row per subject and visit) with ``--visit``. With
``--visit`` the t-test, ANCOVA and Hedges' g use the rows at the last visit; with ``--visit`` and
``--subject`` the MMRM (group x visit + baseline, unstructured covariance, REML) is fitted on all
visits. Differences are the other group minus the reference group, the reference being the first
group in sorted order of the CSV values (numeric order if they are all numbers, as R's ``factor``;
``--reference`` to change it).

With ``--json`` exactly one JSON object is printed::

    {"ttest": {"statistic", "df", "p_value", "ci_lower", "ci_upper"},
     "ancova": {"estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper"},
     "hedges_g": {"estimate", "ci_lower", "ci_upper"},
     "mmrm": {"visit", "estimate", "se", "df", "p_value", "ci_lower", "ci_upper"}}

``ancova`` is null without ``--baseline``; ``mmrm`` is present only with ``--visit`` and
``--subject``. Rows with a missing outcome are left out and counted on stderr. Bad input (a subject
with two rows at one visit, a non-numeric visit, a missing baseline, a score outside ``--scale``,
a model that does not converge) prints one line on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``continuous`` verb to the command's subparsers."""
    p = sub.add_parser(
        "continuous",
        help="t-test, ANCOVA, Hedges' g and MMRM for a continuous outcome (HAM-D) in a CSV",
        description=(
            "Compare two groups on a continuous outcome: Welch t-test, ANCOVA on the baseline and "
            "Hedges' g at the end point, and for long data a mixed model for repeated measures "
            "(MMRM). Numbers match R (t.test, lm, nlme::gls)."
        ),
        epilog=(
            "Defaults: Welch t-test; reference group first in sorted order; --scale 0,52 "
            "(HAM-D-17); MMRM degrees of freedom N_obs - p as nlme::gls (--mmrm-df "
            "satterthwaite for Satterthwaite's)."
        ),
    )
    p.add_argument("data", metavar="DATA.csv", help="CSV file")
    p.add_argument("--outcome", required=True, metavar="COL", help="column of the score")
    p.add_argument("--group", required=True, metavar="COL", help="column of the two groups")
    p.add_argument("--baseline", metavar="COL", default=None,
                   help="column of the baseline score (ANCOVA covariate, MMRM covariate)")
    p.add_argument("--visit", metavar="COL", default=None,
                   help="numeric visit column (e.g. week) for long data")
    p.add_argument("--subject", metavar="COL", default=None,
                   help="subject column for long data (with --visit: fit the MMRM)")
    p.add_argument("--reference", metavar="LEVEL", default=None,
                   help="reference group (default: first in sorted order)")
    p.add_argument("--equal-var", action="store_true",
                   help="Student t-test with pooled variance instead of Welch")
    p.add_argument("--scale", metavar="LOW,HIGH", default="0,52",
                   help="allowed range of outcome and baseline (default 0,52: HAM-D-17)")
    p.add_argument("--mmrm-df", choices=("residual", "satterthwaite"), default="residual",
                   help="MMRM degrees of freedom (default residual, as nlme::gls)")
    p.add_argument("--conf-level", type=float, default=0.95, metavar="LEVEL",
                   help="confidence level (default 0.95)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def _check_scale(df, column, lo, hi):
    import numpy as np
    import pandas as pd

    from ..exceptions import DataValidationError

    v = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isfinite(v) & ((v < lo) | (v > hi))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataValidationError(
            f"column {column!r} must lie in the scale [{lo:g}, {hi:g}] (--scale); found "
            f"{v[i]:g} (row {df.index[i]}, {int(bad.sum())} value(s) outside)."
        )


def _run(args) -> int:
    import sys

    from ..analysis.continuous import analyze_continuous
    from ..exceptions import InvalidParameterError
    from ._common import print_json, read_csv, rename_options, split_list

    scale = split_list(args.scale, "scale")
    if len(scale) != 2 or not scale[0] < scale[1]:
        raise InvalidParameterError(
            f"`--scale` must be LOW,HIGH with LOW < HIGH; got {args.scale!r}.")
    df = read_csv(args.data)
    from .._validation import check_columns

    check_columns(df, args.outcome, args.group, args.baseline, args.visit, args.subject)
    for col in (args.outcome, args.baseline):
        if col is not None:
            _check_scale(df, col, *scale)
    try:
        res = analyze_continuous(
            df, outcome=args.outcome, group=args.group, baseline=args.baseline, visit=args.visit,
            subject=args.subject, equal_var=args.equal_var, df_method=args.mmrm_df,
            conf_level=args.conf_level, reference=args.reference,
        )
    except InvalidParameterError as exc:
        raise rename_options(exc, {"conf_level": "--conf-level", "reference": "--reference",
                                   "df_method": "--mmrm-df"}) from None
    notes = []
    if args.visit is not None:
        if res.n_endpoint_missing:
            notes.append(
                f"{res.n_endpoint_missing} subject(s) have no {args.outcome!r} at the last "
                f"{args.visit} ({res.endpoint_visit:g}) and are not in the t-test, ANCOVA and "
                "Hedges' g")
        if res.mmrm is not None and res.mmrm.n_baseline_rows:
            notes.append(f"{res.mmrm.n_baseline_rows} row(s) at the first {args.visit} are the "
                         f"baseline ({args.baseline!r}), a covariate of the MMRM, not a response")
        if res.mmrm is not None and res.mmrm.n_baseline_differs:
            notes.append(f"{res.mmrm.n_baseline_differs} subject(s) have a {args.outcome!r} at the "
                         f"first {args.visit} that differs from {args.baseline!r}; "
                         f"{args.baseline!r} is the covariate")
        if res.mmrm is not None and res.mmrm.n_missing:
            notes.append(f"{res.mmrm.n_missing} row(s) with a missing {args.outcome!r} left out "
                         "of the MMRM")
    elif res.ttest.n_missing:
        notes.append(f"{res.ttest.n_missing} row(s) with a missing {args.outcome!r} left out")
    if args.json:
        print_json(res.to_json())
    else:
        print(_report(res, args))
    for m in notes:
        print(f"workbench continuous: note: {m}", file=sys.stderr)
    return 0


def _report(res, args) -> str:
    from ._common import fmt_number as _fmt
    from ._common import fmt_p as _p

    s = res.settings
    lvl = f"{100 * s['conf_level']:g}"
    t = res.ttest
    comp = f"{s['comparison']} - {s['reference']}"
    where = f" at {args.visit} {res.endpoint_visit:g}" if args.visit else ""
    lines = [
        f"Continuous outcome analysis of {args.data}",
        f"  outcome = {args.outcome}, group = {args.group}"
        + (f", baseline = {args.baseline}" if args.baseline else "")
        + (f", visit = {args.visit}" if args.visit else "")
        + (f", subject = {args.subject}" if args.subject else ""),
        f"  difference = {comp}; n = {t.n_reference} ({s['reference']}), "
        f"{t.n_comparison} ({s['comparison']}){where}",
        "",
        f"{t.method}{where}: difference {_fmt(t.estimate)} ({lvl}% CI {_fmt(t.ci_lower)} to "
        f"{_fmt(t.ci_upper)}), t = {_fmt(t.statistic)} on {_fmt(t.df)} df, p = {_p(t.p_value)}",
    ]
    if res.ancova is not None:
        a = res.ancova
        lines.append(
            f"ANCOVA on baseline{where}: adjusted difference {_fmt(a.estimate)} (SE {_fmt(a.se)}, "
            f"{lvl}% CI {_fmt(a.ci_lower)} to {_fmt(a.ci_upper)}), t = {_fmt(a.statistic)} on "
            f"{_fmt(a.df)} df, p = {_p(a.p_value)}")
    g = res.hedges_g
    lines.append(f"Hedges' g{where}: {_fmt(g.estimate)} ({lvl}% CI {_fmt(g.ci_lower)} to "
                 f"{_fmt(g.ci_upper)})")
    if res.mmrm is not None:
        m = res.mmrm
        lines += ["", f"{m.method}; {m.n_subjects} subjects, {m.n_obs} observations:"]
        for r in m.effects.itertuples():
            lines.append(
                f"  {args.visit} {r.visit:g}: difference {_fmt(r.estimate)} (SE {_fmt(r.se)}, "
                f"{lvl}% CI {_fmt(r.ci_lower)} to {_fmt(r.ci_upper)}), df {_fmt(r.df)}, "
                f"p = {_p(r.p_value)}")
    return "\n".join(lines)
