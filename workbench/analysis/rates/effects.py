"""Rates per arm and two-arm effects: risk difference, relative risk, odds ratio, NNT.

Each public function has a kernel on counts (``rd_interval``, ``rr_interval``, ``woolf_interval``,
``fisher_odds_ratio``, ``nnt_from_interval``) that :func:`~workbench.analysis.rates.compare_rates`
reuses for every pair of arms.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..._rootfind import zeroin as _r_zeroin
from ..._validation import check_bool, check_choice
from ...kernels.score import score_interval
from .._common import check_conf_level, z_critical
from ._counts import (
    HALDANE,
    OR_CI_METHODS,
    RATE_CI_METHODS,
    RD_CI_METHODS,
    RR_CI_METHODS,
    count_table,
    two_arm_counts,
)
from .results import ArmRates, EffectEstimate, NumberNeeded

__all__ = [
    "arm_rates",
    "risk_difference",
    "relative_risk",
    "odds_ratio",
    "number_needed_to_treat",
    "rd_interval",
    "rr_interval",
    "woolf_interval",
    "fisher_odds_ratio",
    "nnt_from_interval",
]


def _wilson_cc(x: int, n: int, z: float) -> tuple[float, float]:
    """R's ``prop.test(x, n, correct = TRUE)$conf.int``: Wilson score, continuity-corrected."""
    p = x / n
    yates = min(0.5, abs(x - n * 0.5))
    z22n = z * z / (2 * n)
    pc = p + yates / n
    upper = 1.0 if pc >= 1 else (
        (pc + z22n + z * math.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n))
    pc = p - yates / n
    lower = 0.0 if pc <= 0 else (
        (pc + z22n - z * math.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n))
    return lower, upper


def _rate_ci(x: int, n: int, method: str, conf_level: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    alpha = 1 - conf_level
    if method == "wilson-cc":
        return _wilson_cc(x, n, z_critical(conf_level))
    sm = {"wilson": "wilson", "clopper-pearson": "beta", "agresti-coull": "agresti_coull",
          "jeffreys": "jeffreys", "wald": "normal"}[method]
    lo, hi = proportion_confint(x, n, alpha=alpha, method=sm)
    lo, hi = float(lo), float(hi)
    if method in ("clopper-pearson", "wilson"):  # limits that are exactly 0 or 1 at the ends
        lo = 0.0 if x == 0 else lo
        hi = 1.0 if x == n else hi
    return max(0.0, lo), min(1.0, hi)


def arm_rates(data=None, *, outcome="outcome", group="arm", events=None, totals=None, labels=None,
              method: str = "wilson", conf_level: float = 0.95, missing=None,
              higher_is_better: bool = True) -> ArmRates:
    """Rate of the outcome in each arm with a confidence interval.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per patient with the ``outcome`` (0/1 or true/false) and ``group`` columns.
    outcome, group : str
        Column names in ``data``.
    events, totals : sequence of int, optional
        Counts per arm instead of ``data``.
    labels : sequence of str, optional
        Arm names for counts (default ``arm1, arm2, ...``).
    method : {"wilson", "clopper-pearson", "wilson-cc", "agresti-coull", "jeffreys", "wald"}
        ``"wilson"`` is R's ``prop.test(x, n, correct = FALSE)`` interval, ``"wilson-cc"`` R's
        default ``prop.test`` interval with continuity correction, ``"clopper-pearson"``
        ``binom.test``.
    conf_level : float in (0, 1), default 0.95
    missing : {None, "nri", "complete_case"}
        How to treat missing outcomes in ``data`` (``None``: they are an error). ``"nri"`` counts
        them as treatment failures (0, or 1 when ``higher_is_better`` is False).
    higher_is_better : bool, default True

    Returns
    -------
    ArmRates
        ``summary`` columns ``group, events, n, rate, ci_lower, ci_upper, method, conf_level``.

    Notes
    -----
    Wilson and Clopper-Pearson come from :func:`statsmodels.stats.proportion.proportion_confint`;
    the continuity-corrected Wilson interval follows R's ``prop.test``. All match R 4.2.2.

    Examples
    --------
    >>> r = arm_rates(events=[14, 18], totals=[25, 26], labels=["pdt", "fluoxetine"])
    >>> r.summary[["group", "rate", "ci_lower", "ci_upper"]].round(4)
            group    rate  ci_lower  ci_upper
    0         pdt  0.5600    0.3707    0.7333
    1  fluoxetine  0.6923    0.5001    0.8350
    """
    method = check_choice("method", method, RATE_CI_METHODS)
    conf_level = check_conf_level(conf_level)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    missing=missing, higher_is_better=higher_is_better, min_arms=1)
    lo, hi = zip(*(_rate_ci(int(x), int(n), method, conf_level)
                   for x, n in zip(t.x, t.n, strict=True)), strict=True)
    return ArmRates(
        groups=t.labels,
        events=tuple(int(v) for v in t.x),
        totals=tuple(int(v) for v in t.n),
        rate=tuple(float(x / n) for x, n in zip(t.x, t.n, strict=True)),
        ci_lower=tuple(lo),
        ci_upper=tuple(hi),
        method=method,
        conf_level=conf_level,
    )


# --------------------------------------------------------------------------------------------
# two-arm effects
# --------------------------------------------------------------------------------------------
def rd_interval(x1, n1, x2, n2, method, conf_level) -> tuple[float, float, float, float]:
    """(rd, lower, upper, se) for group (1) minus reference (2)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    p1, p2 = x1 / n1, x2 / n2
    rd = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = z_critical(conf_level)
    if method == "wald":
        lo, hi = rd - z * se, rd + z * se
    elif method == "wald-cc":  # R prop.test(correct = TRUE)$conf.int
        yates = min(0.5, abs(rd) / (1 / n1 + 1 / n2))
        width = z * se + yates * (1 / n1 + 1 / n2)
        lo, hi = max(rd - width, -1.0), min(rd + width, 1.0)
    elif method == "newcombe":
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff",
                                            alpha=1 - conf_level)
        lo, hi = float(lo), float(hi)
    else:
        lo, hi = score_interval(x1, n1, x2, n2, conf_level, mn=method == "miettinen-nurminen")
    return rd, float(lo), float(hi), se


def risk_difference(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                    labels=None, reference=None, method: str = "newcombe", conf_level: float = 0.95,
                    missing=None, higher_is_better: bool = True) -> EffectEstimate:
    """Risk difference (group minus reference) with a confidence interval.

    Parameters
    ----------
    data, outcome, group, events, totals, labels, missing, higher_is_better
        As in :func:`arm_rates`; exactly two arms.
    reference : str, optional
        The reference arm (default: the first).
    method : {"newcombe", "wald", "wald-cc", "farrington-manning", "miettinen-nurminen"}
        Newcombe's (1998) hybrid score interval (method 10, from the Wilson limits of each arm),
        the Wald interval, the Wald interval with ``prop.test``'s continuity correction, or the
        score interval inverted from the Farrington-Manning / Miettinen-Nurminen test.
    conf_level : float in (0, 1), default 0.95

    Returns
    -------
    EffectEstimate
        ``measure="risk_difference"``; ``se`` is the unpooled Wald standard error.

    Notes
    -----
    Newcombe uses :func:`statsmodels.stats.proportion.confint_proportions_2indep` (``newcomb``);
    checked against ``reference/r/lib_rates.R``.

    Examples
    --------
    >>> rd = risk_difference(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"],
    ...                      reference="fluoxetine")
    >>> round(rd.estimate, 4), round(rd.ci_lower, 4), round(rd.ci_upper, 4)
    (-0.1323, -0.3694, 0.1265)
    """
    method = check_choice("method", method, RD_CI_METHODS)
    conf_level = check_conf_level(conf_level)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = two_arm_counts(t, "risk_difference()")
    rd, lo, hi, se = rd_interval(x1, n1, x2, n2, method, conf_level)
    return EffectEstimate("risk_difference", t.labels[1 - t.ref], t.labels[t.ref], rd, lo, hi, se,
                          method, "none", conf_level)


def rr_interval(x1, n1, x2, n2, conf_level, zero_correction):
    """(rr, lower, upper, se of log RR, correction) for group (1) vs reference (2)."""
    cells = (x1, n1 - x1, x2, n2 - x2)
    correction = "none"
    a, b, c, d = (float(v) for v in cells)
    if min(cells) == 0 and zero_correction == "haldane":
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        correction = HALDANE
    z = z_critical(conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (a / (a + b)) / (c / (c + d)) if c > 0 else (math.inf if a > 0 else math.nan)
        se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)) if a > 0 and c > 0 else math.nan
    if math.isfinite(se) and rr > 0:
        lo, hi = math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)
    else:
        lo = hi = math.nan
    return rr, lo, hi, se, correction


def woolf_interval(x1, n1, x2, n2, conf_level, zero_correction):
    """(or, lower, upper, se of log OR, correction): the sample odds ratio, Woolf's interval."""
    cells = (x1, n1 - x1, x2, n2 - x2)
    correction = "none"
    a, b, c, d = (float(v) for v in cells)
    if min(cells) == 0 and zero_correction == "haldane":
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        correction = HALDANE
    z = z_critical(conf_level)
    num, den = a * d, b * c
    orr = num / den if den > 0 else (math.inf if num > 0 else math.nan)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d) if min(a, b, c, d) > 0 else math.nan
    if math.isfinite(se) and orr > 0:
        lo, hi = math.exp(math.log(orr) - z * se), math.exp(math.log(orr) + z * se)
    else:
        lo = hi = math.nan
    return orr, lo, hi, se, correction


def relative_risk(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                  labels=None, reference=None, method: str = "log", conf_level: float = 0.95,
                  zero_correction: str = "haldane", missing=None,
                  higher_is_better: bool = True) -> EffectEstimate:
    """Relative risk (group / reference) with a log-scale (Katz) interval.

    ``se(log RR) = sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)``; interval ``exp(log RR +/- z se)``.

    Parameters
    ----------
    method : {"log"}
    zero_correction : {"haldane", "none"}, default "haldane"
        With a zero cell, ``"haldane"`` adds 0.5 to all four cells (so each arm's total grows by
        1), as metafor's ``escalc``; ``"none"`` returns the raw ratio (0, inf or NaN) and a NaN
        interval. The result's ``correction`` says which was used.
    Other parameters as in :func:`risk_difference`.

    Examples
    --------
    >>> rr = relative_risk(events=[3, 10], totals=[37, 37], labels=["pdt_clomipramine",
    ...                    "clomipramine"], reference="clomipramine")
    >>> round(rr.estimate, 4), round(rr.ci_lower, 4), round(rr.ci_upper, 4), rr.correction
    (0.3, 0.0897, 1.0031, 'none')
    """
    check_choice("method", method, RR_CI_METHODS)
    check_choice("zero_correction", zero_correction, ("haldane", "none"))
    conf_level = check_conf_level(conf_level)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = two_arm_counts(t, "relative_risk()")
    rr, lo, hi, se, corr = rr_interval(x1, n1, x2, n2, conf_level, zero_correction)
    return EffectEstimate("relative_risk", t.labels[1 - t.ref], t.labels[t.ref], rr, lo, hi, se,
                          method, corr, conf_level)


# ---- Fisher's conditional MLE and exact interval, as R's fisher.test ------------------------
class _NoncentralHypergeometric:
    """R's ``fisher.test`` helpers (dnhyper, mnhyper, pnhyper) for the 2 x 2 table."""

    def __init__(self, x1, n1, x2, n2):
        m = x1 + x2  # first column total (events)
        nn = (n1 - x1) + (n2 - x2)
        k = n1  # first row total
        self.x = x1
        self.lo = max(0, k - nn)
        self.hi = min(k, m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = stats.hypergeom.logpmf(self.support, m + nn, m, k)
        self.M, self.m, self.k = m + nn, m, k

    def d(self, ncp):
        dd = self.logdc + math.log(ncp) * self.support
        dd = np.exp(dd - dd.max())
        return dd / dd.sum()

    def mean(self, ncp):
        if ncp == 0:
            return float(self.lo)
        if math.isinf(ncp):
            return float(self.hi)
        return float(np.sum(self.support * self.d(ncp)))

    def p(self, q, ncp, upper_tail=False):
        if ncp == 1:
            if upper_tail:
                return float(stats.hypergeom.sf(self.x - 1, self.M, self.m, self.k))
            return float(stats.hypergeom.cdf(self.x, self.M, self.m, self.k))
        if ncp == 0:
            return float(q <= self.lo if upper_tail else q >= self.lo)
        if math.isinf(ncp):
            return float(q <= self.hi if upper_tail else q >= self.hi)
        d = self.d(ncp)
        sel = self.support >= q if upper_tail else self.support <= q
        return float(d[sel].sum())

    def mle(self):
        x = self.x
        if x == self.lo:
            return 0.0
        if x == self.hi:
            return math.inf
        mu = self.mean(1.0)
        if mu > x:
            return _r_zeroin(lambda t: self.mean(t) - x, 0.0, 1.0)
        if mu < x:
            return 1.0 / _r_zeroin(lambda t: self.mean(1 / t) - x, np.finfo(float).eps, 1.0)
        return 1.0

    def upper(self, alpha):
        x = self.x
        if x == self.hi:
            return math.inf
        p = self.p(x, 1.0)
        if p < alpha:
            return _r_zeroin(lambda t: self.p(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1.0 / _r_zeroin(lambda t: self.p(x, 1 / t) - alpha, np.finfo(float).eps, 1.0)
        return 1.0

    def lower(self, alpha):
        x = self.x
        if x == self.lo:
            return 0.0
        p = self.p(x, 1.0, upper_tail=True)
        if p > alpha:
            return _r_zeroin(lambda t: self.p(x, t, upper_tail=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1.0 / _r_zeroin(
                lambda t: self.p(x, 1 / t, upper_tail=True) - alpha, np.finfo(float).eps, 1.0
            )
        return 1.0


def fisher_odds_ratio(x1, n1, x2, n2, conf_level):
    """Conditional MLE odds ratio and exact interval, computed as R's ``fisher.test``."""
    h = _NoncentralHypergeometric(x1, n1, x2, n2)
    alpha = (1 - conf_level) / 2
    return h.mle(), h.lower(alpha), h.upper(alpha)


def odds_ratio(data=None, *, outcome="outcome", group="arm", events=None, totals=None, labels=None,
               reference=None, method: str = "woolf", conf_level: float = 0.95,
               zero_correction: str = "haldane", missing=None,
               higher_is_better: bool = True) -> EffectEstimate:
    """Odds ratio (group vs reference): Woolf's log-scale interval, or Fisher's conditional MLE.

    Parameters
    ----------
    method : {"woolf", "fisher"}, default "woolf"
        ``"woolf"``: the sample odds ratio with ``se(log OR) = sqrt(1/a + 1/b + 1/c + 1/d)``.
        ``"fisher"``: the conditional maximum-likelihood estimate with the exact interval from the
        noncentral hypergeometric distribution, as R's ``fisher.test`` (no zero correction
        needed: a zero cell gives an estimate of 0 or inf and a one-sided-open interval).
    zero_correction : {"haldane", "none"}, default "haldane"
        For ``"woolf"`` only; see :func:`relative_risk`.
    Other parameters as in :func:`risk_difference`.

    Notes
    -----
    For ``"fisher"`` the roots are found with a port of R's ``uniroot`` at R's default tolerance
    (about 1.2e-4), so the values equal ``fisher.test``'s; they can differ from the exact root
    (as :func:`scipy.stats.contingency.odds_ratio` finds it) by up to about 1e-5 relative.

    Examples
    --------
    >>> o = odds_ratio(events=[3, 10], totals=[37, 37], reference="arm2", method="fisher")
    >>> round(o.estimate, 5), round(o.ci_lower, 5), round(o.ci_upper, 5)
    (0.24275, 0.03908, 1.06712)
    """
    method = check_choice("method", method, OR_CI_METHODS)
    check_choice("zero_correction", zero_correction, ("haldane", "none"))
    conf_level = check_conf_level(conf_level)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = two_arm_counts(t, "odds_ratio()")
    if method == "woolf":
        est, lo, hi, se, corr = woolf_interval(x1, n1, x2, n2, conf_level, zero_correction)
    else:
        est, lo, hi = fisher_odds_ratio(x1, n1, x2, n2, conf_level)
        se, corr = math.nan, "none (exact conditional method)"
    return EffectEstimate("odds_ratio", t.labels[1 - t.ref], t.labels[t.ref], est, lo, hi, se,
                          method, corr, conf_level)


# ---- number needed to treat ----------------------------------------------------------------
def _fmt_nnt(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.1f}"


def nnt_from_interval(group, reference, rd, lo, hi, rd_method, conf_level,
                      higher_is_better) -> NumberNeeded:
    """The number needed to treat from a risk difference and its interval (Altman 1998)."""
    with np.errstate(divide="ignore"):
        nnt = math.inf if rd == 0 else 1.0 / rd
    # benefit scale: positive = the group does better than the reference
    sign = 1.0 if higher_is_better else -1.0
    b, bl, bu = sign * rd, *sorted((sign * lo, sign * hi))
    kind = "none" if b == 0 else ("NNTB" if b > 0 else "NNTH")
    excl = (lo > 0 and hi > 0) or (lo < 0 and hi < 0)
    if excl:
        ci_lo, ci_hi = sorted((1.0 / lo, 1.0 / hi))
    else:
        ci_lo = ci_hi = math.nan
    pct = f"{conf_level:.0%}"
    head = f"{kind} {_fmt_nnt(abs(nnt))}" if kind != "none" else "NNT inf (no difference)"
    if bl > 0:  # benefit throughout
        nntb_limit, nnth_limit = 1.0 / bu, math.nan
        ci = f"{pct} CI NNTB {_fmt_nnt(1 / bu)} to NNTB {_fmt_nnt(1 / bl)}"
    elif bu < 0:  # harm throughout
        nntb_limit, nnth_limit = math.nan, 1.0 / abs(bl)
        ci = f"{pct} CI NNTH {_fmt_nnt(1 / abs(bl))} to NNTH {_fmt_nnt(1 / abs(bu))}"
    else:  # includes 0: two disjoint rays through infinity (Altman 1998)
        nntb_limit = 1.0 / bu if bu > 0 else math.inf
        nnth_limit = 1.0 / abs(bl) if bl < 0 else math.inf
        ci = f"{pct} CI NNTH {_fmt_nnt(nnth_limit)} to inf to NNTB {_fmt_nnt(nntb_limit)}"
    return NumberNeeded(
        group=group, reference=reference, risk_difference=rd, rd_ci_lower=lo, rd_ci_upper=hi,
        rd_method=rd_method, higher_is_better=bool(higher_is_better), nnt=nnt, kind=kind,
        nnt_abs=abs(nnt), ci_lower=ci_lo, ci_upper=ci_hi, ci_excludes_zero=bool(excl),
        nntb_limit=nntb_limit, nnth_limit=nnth_limit, text=f"{head} ({ci})", conf_level=conf_level,
    )


def number_needed_to_treat(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                           labels=None, reference=None, rd_method: str = "newcombe",
                           conf_level: float = 0.95, higher_is_better: bool = True,
                           missing=None) -> NumberNeeded:
    """Number needed to treat for one more benefit (NNTB) or harm (NNTH), with its interval.

    ``NNT = 1 / RD`` (RD = group minus reference). The interval inverts the RD interval
    (``rd_method``). When the RD interval includes 0 the confidence set for the NNT is two disjoint
    rays; following Altman (1998, BMJ 317:1309) it is reported as "NNTH a to infinity to NNTB b"
    and ``ci_lower``/``ci_upper`` are NaN.

    Parameters
    ----------
    higher_is_better : bool, default True
        Whether the outcome is good (remission: a higher rate in the group is a benefit) or bad
        (still depressed: a lower rate is a benefit).
    rd_method : one of :data:`RD_CI_METHODS`, default "newcombe"
    Other parameters as in :func:`risk_difference`.

    Returns
    -------
    NumberNeeded

    Examples
    --------
    Trial T2, still depressed at week 10 (a bad outcome), combination vs clomipramine alone:

    >>> r = number_needed_to_treat(events=[3, 10], totals=[37, 37], labels=["combo", "clomi"],
    ...                            reference="clomi", higher_is_better=False)
    >>> r.kind, round(r.nnt_abs, 2), r.text
    ('NNTB', 5.29, 'NNTB 5.3 (95% CI NNTB 2.8 to NNTB 75.1)')
    """
    rd_method = check_choice("rd_method", rd_method, RD_CI_METHODS)
    conf_level = check_conf_level(conf_level)
    check_bool("higher_is_better", higher_is_better)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = two_arm_counts(t, "number_needed_to_treat()")
    rd, lo, hi, _ = rd_interval(x1, n1, x2, n2, rd_method, conf_level)
    return nnt_from_interval(t.labels[1 - t.ref], t.labels[t.ref], rd, lo, hi, rd_method,
                             conf_level, higher_is_better)
