"""Every plot function on fixed data: compared with a stored image, and nothing cut off by savefig.

Each case draws one figure from small fixed data (fixed seeds) at its default size and saves it
as a PNG at ``DPI`` dots per inch; the test compares it with ``tests/baseline_images/<case>.png``
by matplotlib's ``compare_images`` (root mean square difference of the grey levels, 0-255) within
``TOLERANCE``. Rewrite the baselines after an intended change with

    WORKBENCH_UPDATE_BASELINES=1 python -m pytest tests/test_plot_images.py

or ``python -m tests.test_plot_images --write``; ``python -m tests.test_plot_images --check DIR``
writes every case to DIR (``output/figures-check`` by default) to look at.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.testing.compare import compare_images  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import plotting  # noqa: E402

BASELINES = Path(__file__).resolve().parent / "baseline_images"
#: dots per inch of the compared images (small files, still every label legible)
DPI = 72
#: largest root mean square difference of grey levels (0-255) between image and baseline. The
#: same code renders identically (0; matplotlib's wheels bring their own FreeType); on these
#: figures one small caption missing gives 3.7, a title one letter longer 12, a legend moved
#: 10 to 26, an axis label 3 points lower (constrained layout moves everything) 35
TOLERANCE = 1.5
#: rendering settings of the comparison (those matplotlib's own image tests use)
TEST_RC = {"text.hinting": "none", "svg.hashsalt": "workbench",
           "path.simplify": True}


# ---------------------------------------------------------------- the cases: fixed data, seeds

def _t1_analysis():
    df = wb.simulate_trial(wb.load_design("t1"), rng=1)
    return wb.analyze_survival(df, time="time", event="event", group="arm",
                               reference="pharmacotherapy")


def km_two_arms():
    return wb.plot_km(_t1_analysis(), xlabel="Months since the end of treatment",
                      ylabel="Recurrence-free", annotate=True, title="T1: recurrence")


def km_three_arms():
    design = wb.SurvivalDesign.from_probabilities(
        {"placebo": 0.6, "pdt": 0.4, "sertraline": 0.45}, at=24,
        sizes={"placebo": 60, "pdt": 60, "sertraline": 60}, accrual_time=12, follow_up=24,
        follow_up_type="fixed")
    df = wb.simulate_trial(design, rng=3)
    res = wb.analyze_survival(df, time="time", event="event", group="arm", reference="placebo")
    return wb.plot_km(res, xlabel="Months since randomisation", annotate=True)


def _meta():
    from workbench.analysis.meta import meta_analysis

    return meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47, 0.05, 0.55],
                         vi=[0.08, 0.05, 0.11, 0.04, 0.07, 0.02, 0.09],
                         study=["Abbass 2006", "Bressi 2010", "Connolly 2019", "de Jonghe 2004",
                                "Driessen 2013", "Fonagy 2015", "Gibbons 2012"])


def forest_smd():
    return wb.plot_forest(_meta(), favours=("comparator", "PDT"), title="PDT vs comparator")


def forest_ratio_trimfill():
    from workbench.analysis.meta import meta_analysis

    res = meta_analysis(yi=np.log([0.6, 0.8, 0.5, 1.1, 0.7]), vi=[0.1, 0.05, 0.2, 0.04, 0.08],
                        study=list("ABCDE"), measure="RR")
    return wb.plot_forest(wb.trim_and_fill(res), favours=("PDT", "comparator"))


def funnel():
    return wb.plot_funnel(wb.trim_and_fill(_meta()), title="Contour-enhanced funnel plot")


def _rates():
    from workbench.analysis.rates import compare_rates

    t4 = compare_rates(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"])
    t3 = compare_rates(events=[11, 11, 13], totals=[53, 51, 52],
                       labels=["placebo", "pdt", "sertraline"])
    return t3, t4


def risk_differences():
    t3, t4 = _rates()
    return wb.plot_risk_differences({"T4": t4, "T3": t3}, margin=-0.1,
                                    favours=("control", "PDT"), title="Remission")


def rates():
    t3, _ = _rates()
    return wb.plot_rates(t3, title="T3: remission")


def _continuous():
    design = wb.load_design("t8")
    return design, wb.simulate_trial(design, rng=1)


def spaghetti():
    _, df = _continuous()
    return wb.plot_spaghetti(df, ylabel="HAM-D-17 total score", max_subjects=25)


def mean_trajectory():
    design, df = _continuous()
    return wb.plot_mean_trajectory(df, design=design, ylabel="Mean HAM-D-17 total score")


def trajectory_panels():
    """Both continuous plots side by side on shared y axes (tick labels stay on both)."""
    design, df = _continuous()
    fig, axes = plotting.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    wb.plot_spaghetti(df, ax=axes[0], ylabel="HAM-D-17 total score", max_subjects=25)
    wb.plot_mean_trajectory(df, design=design, ax=axes[1], ylabel="Mean HAM-D-17 total score")
    return axes[1]


def _sequential():
    return wb.group_sequential_design(kmax=3, alpha=0.025, beta=0.2, alternative="less",
                                      futility="bsOF")


def boundaries():
    return wb.plot_boundaries(_sequential())


def boundaries_effect():
    from workbench.power.sequential import sample_size_survival_sequential

    size = sample_size_survival_sequential(_sequential(), p1=0.27, p2=0.47, event_time=48,
                                           accrual_time=24, follow_up=48)
    return wb.plot_boundaries(size, scale="effect")


def boundaries_monitoring():
    from workbench.power.sequential import monitor_sequential

    mon = monitor_sequential(_sequential(), z=[-0.8, -2.1], information_rates=[0.35, 0.7])
    return wb.plot_boundaries(mon)


def spending():
    return wb.plot_spending(_sequential())


def sequential_panels():
    """A two-sided design with beta-spending futility: boundaries and spending side by side."""
    design = wb.group_sequential_design(kmax=4, alternative="two-sided", alpha=0.05,
                                        type_of_design="asHSD", gamma=-4, futility="bsKD",
                                        futility_rho=2)
    fig, axes = plotting.subplots(1, 2, figsize=(12, 4.4))
    wb.plot_boundaries(design, ax=axes[0])
    return wb.plot_spending(design, ax=axes[1])


def power_curve():
    n = [100, 150, 200, 250, 300]
    rows = []
    for hr, base in ((0.55, 0.55), (0.7, 0.25)):
        for i, nn in enumerate(n):
            p = min(0.99, base + 0.1 * i)
            se = np.sqrt(p * (1 - p) / 1000)
            rows.append({"n_total": nn, "hazard_ratio": hr, "power": p,
                         "ci_lower": p - 1.96 * se, "ci_upper": p + 1.96 * se,
                         "power_closed_form": p + 0.01})
    return wb.plot_power_curve(pd.DataFrame(rows), target=0.8, title="Log-rank power")


CASES = {f.__name__: f for f in (
    km_two_arms, km_three_arms, forest_smd, forest_ratio_trimfill, funnel, risk_differences,
    rates, spaghetti, mean_trajectory, trajectory_panels, boundaries, boundaries_effect,
    boundaries_monitoring, spending, sequential_panels, power_curve)}

#: every public plot function is drawn by at least one case
COVERED = {
    "plot_km": ("km_two_arms", "km_three_arms"),
    "plot_forest": ("forest_smd", "forest_ratio_trimfill"),
    "plot_funnel": ("funnel",),
    "plot_risk_differences": ("risk_differences",),
    "plot_rates": ("rates",),
    "plot_spaghetti": ("spaghetti", "trajectory_panels"),
    "plot_mean_trajectory": ("mean_trajectory", "trajectory_panels"),
    "plot_boundaries": ("boundaries", "boundaries_effect", "boundaries_monitoring",
                        "sequential_panels"),
    "plot_spending": ("spending", "sequential_panels"),
    "plot_power_curve": ("power_curve",),
}


def render(name: str, path: Path, dpi: float = DPI) -> plt.Figure:
    """Draw case ``name`` and save it to ``path`` with a plain ``savefig``."""
    with plt.rc_context(TEST_RC):
        fig = CASES[name]().figure
        fig.savefig(path, dpi=dpi)
    return fig


# ---------------------------------------------------------------- the tests

@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_every_plot_function_has_a_case():
    assert set(COVERED) == {n for n in plotting.__all__ if n.startswith("plot_")}
    assert {c for cases in COVERED.values() for c in cases} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_image_matches_the_baseline(name, tmp_path):
    actual = tmp_path / f"{name}.png"
    render(name, actual)
    expected = BASELINES / f"{name}.png"
    if os.environ.get("WORKBENCH_UPDATE_BASELINES") == "1":
        BASELINES.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
        pytest.skip(f"baseline written: {expected}")
    assert expected.exists(), (
        f"no baseline {expected}; write it with WORKBENCH_UPDATE_BASELINES=1 "
        "(see docs/developing.md)")
    diff = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert diff is None, diff


def _undrawn_tick_labels(fig) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: their tick is outside the view limits."""
    skip = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(abs(hi - lo), 1e-300)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - eps <= tick.get_loc() <= hi + eps:
                    skip.update({id(tick.label1), id(tick.label2)})
    return skip


def _outside(fig) -> list[str]:
    """Texts whose drawn extent is not inside the figure (after a savefig drew it)."""
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    bad = []
    skip = _undrawn_tick_labels(fig)
    for text in fig.findobj(matplotlib.text.Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in skip:
            continue
        ext = text.get_window_extent(renderer)
        if (ext.x0 < box.x0 - 0.5 or ext.y0 < box.y0 - 0.5 or ext.x1 > box.x1 + 0.5
                or ext.y1 > box.y1 + 0.5):
            bad.append(f"{text.get_text()!r} at {ext.bounds}")
    return bad


@pytest.mark.parametrize("name", sorted(CASES))
def test_nothing_is_cut_off_by_a_plain_savefig(name, tmp_path):
    fig = render(name, tmp_path / f"{name}.png", dpi=100)
    assert _outside(fig) == []


def test_the_clipping_check_sees_a_label_outside_the_figure(tmp_path):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_ylabel("a label pushed out")
    ax.yaxis.set_label_coords(-3.0, 0.5)
    fig.savefig(tmp_path / "out.png")
    assert _outside(fig) != []


def test_the_house_style_does_not_leak_and_ignores_the_global_style(tmp_path):
    """Plot functions leave rcParams as they were, and the global style does not change them."""
    before = dict(matplotlib.rcParams)
    render("km_two_arms", tmp_path / "default.png")
    assert dict(matplotlib.rcParams) == before
    with plt.style.context("ggplot"):
        render("km_two_arms", tmp_path / "ggplot.png")
    assert compare_images(str(tmp_path / "default.png"), str(tmp_path / "ggplot.png"),
                          tol=TOLERANCE) is None


# ---------------------------------------------------------------- python -m tests.test_plot_images

def main(argv: list[str]) -> int:
    """``--write``: rewrite the baselines; ``--check [DIR]``: write every case to look at."""
    if not argv or argv[0] not in ("--write", "--check"):
        print("usage: python -m tests.test_plot_images --write | --check [DIR]", file=sys.stderr)
        return 2
    if argv[0] == "--write":
        folder, dpi = BASELINES, DPI
    else:
        folder = Path(argv[1] if len(argv) > 1 else "output/figures-check")
        dpi = 150
    folder.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        fig = render(name, folder / f"{name}.png", dpi=dpi)
        plt.close(fig)
        print(folder / f"{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
