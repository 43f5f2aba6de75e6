"""``workbench rates``: remission/response rates per arm and comparisons with a reference arm.

Two ways to give the data::

    workbench rates DATA.csv --outcome COL --group COL [--reference LEVEL] [--margin M] [--json]
    workbench rates --counts 14/25,18/26 [--labels A,B] [--reference B] [--json]

``--counts`` lists events/total per arm. The reference is the first arm (the first group in sorted
order of the CSV values, numeric order when every group is a number) unless ``--reference`` names
another (with ``--counts`` and no ``--labels``, also by position: ``--reference 2``); differences
are group minus reference. With ``--json`` exactly one JSON object is printed::

    {"arms": [{"group", "events", "n", "rate", "ci_lower", "ci_upper"}],
     "comparisons": [{"group", "reference", "risk_difference", "rd_ci_lower", "rd_ci_upper",
                      "relative_risk", "rr_ci_lower", "rr_ci_upper", "odds_ratio", "or_ci_lower",
                      "or_ci_upper", "nnt", "p_chisq", "p_chisq_yates", "p_fisher", "p_holm", ...}],
     "overall": {"statistic", "df", "p_value"},
     "noninferiority": {"margin", "statistic", "p_value", "conclusion", ...}}

``noninferiority`` is present only with ``--margin``. ``nnt`` is 1/RD (signed like the risk
difference; ``nnt_kind`` says NNTB or NNTH and ``nnt_text`` gives Altman's interval). ``p_holm`` is
Holm-adjusted over every pair of arms, as R's ``pairwise.prop.test``, from the Yates chi-square
p-values by default (``--holm-test``). Bad input (counts larger than totals, negative counts, a zero
total, an outcome column with values other than 0/1 or true/false, a single arm, a margin of the
wrong sign for the outcome direction) prints one line on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse
import math

from ..exceptions import InvalidParameterError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``rates`` verb to the command's subparsers."""
    p = sub.add_parser(
        "rates",
        help="remission/response rates: per-arm intervals, RD, RR, OR, NNT, tests, non-inferiority",
        description=(
            "Rates per arm with confidence intervals and every arm against a reference arm: risk "
            "difference, relative risk, odds ratio, number needed to treat, chi-square (with and "
            "without Yates), Fisher's exact test, Holm-adjusted p-values, an overall chi-square "
            "and, with --margin, a Farrington-Manning non-inferiority test. Numbers match R "
            "(prop.test, binom.test, fisher.test, pairwise.prop.test)."
        ),
        epilog=(
            "Defaults: Wilson intervals for rates, Newcombe hybrid score for the risk difference, "
            "log (Katz) for the relative risk, Woolf for the odds ratio; 95% level; reference = "
            "first arm. Example: workbench rates --counts 14/25,18/26 --labels pdt,fluoxetine "
            "--reference fluoxetine --json"
        ),
    )
    p.add_argument("data", metavar="DATA.csv", nargs="?", default=None,
                   help="CSV file with one row per patient (or use --counts)")
    p.add_argument("--outcome", metavar="COL", default=None,
                   help="0/1 or true/false outcome column (with DATA.csv)")
    p.add_argument("--group", metavar="COL", default=None, help="group column (with DATA.csv)")
    p.add_argument("--counts", metavar="X/N,X/N", default=None,
                   help="events/total per arm, e.g. 14/25,18/26 (instead of DATA.csv)")
    p.add_argument("--labels", metavar="A,B", default=None,
                   help="arm names for --counts (default arm1,arm2,...)")
    p.add_argument("--reference", metavar="LEVEL", default=None,
                   help="reference arm (default: the first; with --counts and no --labels also a "
                        "position, e.g. 2)")
    p.add_argument("--margin", type=float, default=None, metavar="M",
                   help="non-inferiority margin for the risk difference group - reference "
                        "(negative, or positive with --lower-is-better)")
    p.add_argument("--lower-is-better", action="store_true",
                   help="the outcome is bad (e.g. still depressed): lower rates are better")
    p.add_argument("--rate-ci", default="wilson",
                   choices=("wilson", "clopper-pearson", "wilson-cc", "agresti-coull", "jeffreys",
                            "wald"), help="interval for each arm's rate (default wilson)")
    p.add_argument("--rd-ci", default="newcombe",
                   choices=("newcombe", "wald", "wald-cc", "farrington-manning",
                            "miettinen-nurminen"),
                   help="interval for the risk difference (default newcombe)")
    p.add_argument("--rr-ci", default="log", choices=("log",),
                   help="interval for the relative risk (default log)")
    p.add_argument("--or-ci", default="woolf", choices=("woolf", "fisher"),
                   help="odds ratio: woolf (sample OR, log-scale CI) or fisher (conditional MLE, "
                        "exact CI)")
    p.add_argument("--ni-method", default="farrington-manning",
                   choices=("farrington-manning", "miettinen-nurminen"),
                   help="non-inferiority score test (default farrington-manning)")
    p.add_argument("--ni-alpha", type=float, default=0.025, metavar="A",
                   help="one-sided level of the non-inferiority test (default 0.025)")
    p.add_argument("--holm-test", default="chisq-yates", choices=("chisq-yates", "chisq", "fisher"),
                   help="p-values the Holm adjustment over all pairs of arms uses (default "
                        "chisq-yates, as R's pairwise.prop.test)")
    p.add_argument("--all-pairs", action="store_true",
                   help="compare every pair of arms instead of each arm with the reference")
    p.add_argument("--missing", choices=("nri", "complete_case"), default=None,
                   help="missing outcomes in DATA.csv: nri (count as failures) or complete_case "
                        "(default: an error)")
    p.add_argument("--covariates", metavar="COL,COL", default=None,
                   help="baseline covariates for an adjusted logistic regression (DATA.csv only)")
    p.add_argument("--conf-level", "--level", type=float, default=0.95, dest="conf_level",
                   metavar="LEVEL", help="confidence level (default 0.95) (alias: --level)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)


def parse_counts(text: str) -> tuple[list[int], list[int]]:
    """``"14/25,18/26"`` -> ``([14, 18], [25, 26])`` with errors naming the bad item.

    >>> parse_counts("14/25, 18/26")
    ([14, 18], [25, 26])
    """
    events, totals = [], []
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise InvalidParameterError(f"`--counts` must list events/total per arm; got {text!r}.")
    for item in items:
        parts = item.split("/")
        try:
            if len(parts) != 2:
                raise ValueError
            x, n = int(parts[0]), int(parts[1])
        except ValueError:
            raise InvalidParameterError(
                f"`--counts` item {item!r} must be events/total with whole numbers, e.g. 14/25."
            ) from None
        if x < 0:
            raise InvalidParameterError(f"`--counts` item {item!r}: events must be >= 0; got {x}.")
        if n <= 0:
            raise InvalidParameterError(
                f"`--counts` item {item!r}: the total must be >= 1; got {n}.")
        if x > n:
            raise InvalidParameterError(
                f"`--counts` item {item!r}: events ({x}) must not exceed the total ({n})."
            )
        events.append(x)
        totals.append(n)
    if len(events) < 2:
        raise InvalidParameterError(
            f"`--counts` must give at least two arms to compare; got one ({text!r})."
        )
    return events, totals


def _run(args) -> int:
    from ..analysis.rates import compare_rates
    from ._common import print_json, read_csv, split_list

    common = dict(
        reference=args.reference, rate_ci=args.rate_ci, rd_ci=args.rd_ci, rr_ci=args.rr_ci,
        or_ci=args.or_ci, conf_level=args.conf_level, margin=args.margin,
        higher_is_better=not args.lower_is_better, ni_method=args.ni_method,
        ni_alpha=args.ni_alpha, holm_test=args.holm_test, all_pairs=args.all_pairs,
    )
    if args.margin is not None:
        _check_margin_sign(args.margin, args.lower_is_better)
    if (args.data is None) == (args.counts is None):
        raise InvalidParameterError(
            "give either DATA.csv (with --outcome and --group) or --counts.")
    if args.counts is not None:
        for opt in ("outcome", "group", "missing", "covariates"):
            if getattr(args, opt) is not None:
                raise InvalidParameterError(f"`--{opt}` applies to DATA.csv, not to --counts.")
        events, totals = parse_counts(args.counts)
        labels = split_list(args.labels, "labels", cast=str) if args.labels else None
        if labels is not None and len(labels) != len(events):
            raise InvalidParameterError(
                f"`--labels` must give one name per arm ({len(events)}); got {args.labels!r}."
            )
        ref = args.reference
        if labels is None and ref is not None and ref.strip().isdigit():
            if not 1 <= int(ref) <= len(events):
                raise InvalidParameterError(
                    f"`--reference` must be an arm name or a position 1..{len(events)}; "
                    f"got {ref!r}."
                )
            common["reference"] = f"arm{int(ref)}"
        res = _call(compare_rates, events=events, totals=totals, labels=labels, **common)
        source = f"counts {args.counts}"
    else:
        if args.outcome is None or args.group is None:
            raise InvalidParameterError("DATA.csv needs --outcome COL and --group COL.")
        if args.labels is not None:
            raise InvalidParameterError(
                "`--labels` applies to --counts; groups come from the data.")
        df = read_csv(args.data)
        covs = split_list(args.covariates, "covariates", cast=str) if args.covariates else ()
        res = _call(compare_rates, df, outcome=args.outcome, group=args.group,
                    missing=args.missing, covariates=covs, **common)
        source = f"{args.data} (outcome = {args.outcome}, group = {args.group})"
    if args.json:
        print_json(res.to_json_dict())
    else:
        print(_report(res, source))
    return 0


#: library parameter names -> command-line options, for error messages
_OPTIONS = {"reference": "--reference", "conf_level": "--conf-level", "ni_alpha": "--ni-alpha",
            "labels": "--labels", "margin": "--margin", "covariates": "--covariates"}


def _call(func, *args, **kwargs):
    """``func(*args, **kwargs)``; an InvalidParameterError names options, not parameters."""
    from ._common import rename_options

    try:
        return func(*args, **kwargs)
    except InvalidParameterError as exc:
        raise rename_options(exc, _OPTIONS) from None


def _check_margin_sign(margin: float, lower_is_better: bool) -> None:
    if not math.isfinite(margin) or not 0 < abs(margin) < 1:
        raise InvalidParameterError(f"`--margin` must satisfy 0 < |M| < 1; got {margin!r}.")
    if not lower_is_better and margin >= 0:
        raise InvalidParameterError(
            f"`--margin` must be negative (group - reference > M shows non-inferiority when higher "
            f"rates are better); got {margin!r}. For a bad outcome add --lower-is-better."
        )
    if lower_is_better and margin <= 0:
        raise InvalidParameterError(
            f"`--margin` must be positive with --lower-is-better (group - reference < M); got "
            f"{margin!r}."
        )


def _report(res, source: str) -> str:
    from ._common import fmt_number as _fmt
    from ._common import fmt_p as _p

    s = res.settings
    lvl = f"{100 * s['conf_level']:g}%"
    lines = [f"Rates analysis of {source}", "",
             f"Rates ({s['rate_ci']} {lvl} CI):"]
    for r in res.arms.summary.itertuples():
        lines.append(f"  {r.group}: {r.events}/{r.n} = {_fmt(r.rate)} ({_fmt(r.ci_lower)} to "
                     f"{_fmt(r.ci_upper)})")
    lines += ["", f"Comparisons (group - reference; RD {s['rd_ci']}, RR {s['rr_ci']}, "
                  f"OR {s['or_ci']}; {lvl} CI):"]
    for r in res.comparisons.to_dict(orient="records"):
        lines += [
            f"  {r['group']} vs {r['reference']}:",
            f"    risk difference {_fmt(r['risk_difference'])} ({_fmt(r['rd_ci_lower'])} to "
            f"{_fmt(r['rd_ci_upper'])}); {r['nnt_text']}",
            f"    relative risk {_fmt(r['relative_risk'])} ({_fmt(r['rr_ci_lower'])} to "
            f"{_fmt(r['rr_ci_upper'])}); odds ratio {_fmt(r['odds_ratio'])} "
            f"({_fmt(r['or_ci_lower'])} to {_fmt(r['or_ci_upper'])})",
            f"    p: chi-square {_p(r['p_chisq'])}, Yates {_p(r['p_chisq_yates'])}, Fisher "
            f"{_p(r['p_fisher'])}, Holm ({r['holm_test']}) {_p(r['p_holm'])}",
        ]
        if r["rr_correction"] != "none":
            lines.append(f"    zero cell: {r['rr_correction']}")
        if "adjusted_or" in r and not math.isnan(r["adjusted_or"]):
            lines.append(f"    adjusted odds ratio {_fmt(r['adjusted_or'])} "
                         f"({_fmt(r['adjusted_or_ci_lower'])} to {_fmt(r['adjusted_or_ci_upper'])})"
                         f", p = {_p(r['adjusted_p'])}")
    o = res.overall
    lines += ["", f"Overall chi-square {_fmt(o.statistic)} on {o.df} df, p = {_p(o.p_value)}; "
                  f"Fisher's exact p = {_p(res.fisher_overall.p_value)}"]
    for t in res.noninferiority:
        lines.append(
            f"Non-inferiority of {t.group} vs {t.reference} (margin {t.margin:+g}, {t.method}): "
            f"z = {_fmt(t.statistic)}, one-sided p = {_p(t.p_value)}: {t.conclusion}")
    if s.get("n_missing") and any(s["n_missing"]):
        lines.append(f"Missing outcomes per arm: {s['n_missing']} ({s['missing']})")
    return "\n".join(lines)
