"""What a reader of a figure relies on: ticks, tables on the ticks, legends clear of the data,
colours told apart by colour-blind readers, labels in words and units."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

import workbench as wb  # noqa: E402
from workbench import InvalidParameterError  # noqa: E402
from workbench.plotting import natural_ticks, subplots  # noqa: E402
from workbench.plotting.style import arm_colors, arm_linestyles  # noqa: E402

#: Machado, Oliveira & Fernandes (2009) simulation matrices at severity 1, on linear RGB
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def t1():
    df = wb.simulate_trial(wb.load_design("t1"), rng=1)
    return wb.analyze_survival(df, time="time", event="event", group="arm",
                               reference="pharmacotherapy")


@pytest.mark.parametrize(("horizon", "step"), [(48, 12), (72, 12), (36, 6), (24, 6), (12, 3),
                                               (18, 3), (120, 24), (144, 24)])
def test_natural_ticks_step_by_horizon(horizon, step):
    ticks = natural_ticks(horizon)
    assert ticks[0] == 0 and ticks[-1] <= horizon
    assert np.allclose(np.diff(ticks), step)
    assert len(ticks) - 1 <= 6


def test_natural_ticks_outside_the_month_range_and_bad_input():
    assert natural_ticks(4) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert natural_ticks(300) == [0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0]
    with pytest.raises(InvalidParameterError, match="horizon"):
        natural_ticks(0)


def _numbers_at_risk(ax):
    return [t for t in ax.texts if t.get_text().isdigit()]


def test_km_ticks_every_12_months_and_the_risk_table_on_them(t1, tmp_path):
    """T1 (48 months): ticks 0, 12, ..., 48, and each number at risk is centred on its tick."""
    ax = wb.plot_km(t1)
    ax.figure.savefig(tmp_path / "km.png")
    ticks = list(ax.get_xticks())
    assert ticks == [0, 12, 24, 36, 48]
    numbers = _numbers_at_risk(ax)
    assert len(numbers) == 2 * len(ticks)
    renderer = ax.figure.canvas.get_renderer()
    tick_x = ax.transData.transform(np.column_stack([ticks, np.zeros(len(ticks))]))[:, 0]
    for text in numbers:
        box = text.get_window_extent(renderer)
        centre = (box.x0 + box.x1) / 2
        assert np.min(np.abs(tick_x - centre)) < 1.0
    # the numbers are R's n.risk at those times (the km table), row by row
    table = t1.km.at(ticks)
    expected = [str(int(n)) for lv in t1.km.groups
                for n in table.loc[table["group"] == lv, "n_risk"]]
    assert [t.get_text() for t in numbers] == expected


def test_km_risk_table_uses_the_ticks_the_caller_gives(t1):
    ax = wb.plot_km(t1, times=[0, 6, 12, 24, 36, 48])
    assert list(ax.get_xticks()) == [0, 6, 12, 24, 36, 48]
    assert len(_numbers_at_risk(ax)) == 2 * 6


def test_km_annotation_gives_the_log_rank_p_and_the_hazard_ratio(t1):
    ax = wb.plot_km(t1, annotate=True)
    (note,) = [t for t in ax.texts if t.get_text().startswith("Log-rank")]
    hr, p = t1.cox.hazard_ratio[0], t1.logrank.p_value
    assert p >= 0.1 and f"Log-rank p = {p:.2f}\n" in note.get_text()
    assert f"HR {hr:.2f} (95% CI" in note.get_text()
    assert wb.plot_km(t1, annotate="my words").texts[0].get_text() == "my words"
    with pytest.raises(InvalidParameterError, match="annotate"):
        wb.plot_km(t1.km, annotate=True)


def _lab(rgb):
    rgb = np.asarray(rgb, float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                          [0.0193, 0.1192, 0.9505]]).T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def _simulate(rgb, matrix):
    rgb = np.asarray(rgb, float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    out = np.clip(lin @ np.asarray(matrix).T, 0, 1)
    return np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)


def _closest_pair(colors, matrix):
    lab = _lab(_simulate([to_rgb(c) for c in colors], matrix))
    return min(np.linalg.norm(lab[a] - lab[b]) for a, b in itertools.combinations(range(3), 2))


@pytest.mark.parametrize("kind", sorted(CVD))
def test_three_arm_colours_stay_apart_for_colour_blind_readers(kind):
    """The three arm colours differ by more than 40 CIE76 units under protanopia and
    deuteranopia (the old tab10 orange and green: under 5 for protanopia)."""
    assert _closest_pair(arm_colors(3), CVD[kind]) > 40
    assert _closest_pair(["tab:blue", "tab:orange", "tab:green"], CVD["protanopia"]) < 10
    assert len(set(map(str, arm_linestyles(3)))) == 3


def test_three_arm_km_curves_differ_in_colour_and_line_style():
    design = wb.SurvivalDesign.from_probabilities(
        {"a": 0.6, "b": 0.4, "c": 0.45}, at=24, sizes={"a": 30, "b": 30, "c": 30},
        accrual_time=12, follow_up=24, follow_up_type="fixed")
    df = wb.simulate_trial(design, rng=3)
    ax = wb.plot_km(df, time="time", event="event", group="arm")
    lines = ax.get_lines()
    assert len({ln.get_color() for ln in lines}) == 3
    assert len({ln.get_linestyle() for ln in lines}) == 3
    # one lighter band per curve (the censoring marks are opaque: no alpha of their own)
    alphas = [c.get_alpha() for c in ax.collections if c.get_alpha() is not None]
    assert len(alphas) == 3 and max(alphas) <= 0.1


def test_funnel_legend_covers_no_study(tmp_path):
    from workbench.analysis.meta import meta_analysis

    res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47, 0.05, 0.55, 1.1, -0.2],
                        vi=[0.08, 0.05, 0.11, 0.04, 0.07, 0.02, 0.09, 0.002, 0.003])
    tf = wb.trim_and_fill(res)
    ax = wb.plot_funnel(tf)
    ax.figure.savefig(tmp_path / "funnel.png")
    renderer = ax.figure.canvas.get_renderer()
    box = ax.get_legend().get_window_extent(renderer)
    points = ax.transData.transform(np.column_stack([tf.result.yi, np.sqrt(tf.result.vi)]))
    assert not any(box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1 for x, y in points)


def test_margin_legend_in_the_axis_units():
    from workbench.analysis.rates import risk_difference

    rd = [risk_difference(events=[26, 19], totals=[119, 118], labels=["ct", "pdt"])]
    ax = wb.plot_risk_differences(rd, labels=["T6"], margin=-0.1)
    assert ax.get_legend().get_texts()[0].get_text() == (
        "non-inferiority margin (\u221210 percentage points)")
    assert "percentage points" in ax.get_xlabel()
    ax = wb.plot_risk_differences(rd, labels=["T6"], margin=-0.1, percent=False)
    assert ax.get_legend().get_texts()[0].get_text() == "non-inferiority margin (\u22120.1)"


def test_forest_plots_have_a_header_row_and_favours_captions():
    from workbench.analysis.meta import meta_analysis

    res = meta_analysis(yi=[0.62, 0.31, 0.85], vi=[0.08, 0.05, 0.11], study=["A", "B", "C"])
    texts = [t.get_text() for t in wb.plot_forest(res, favours=("control", "PDT")).texts]
    assert "Study" in texts and any(t.startswith("Estimate [95% CI]") for t in texts)
    assert "\u2190 favours control" in texts and "favours PDT \u2192" in texts
    with pytest.raises(InvalidParameterError, match="favours"):
        wb.plot_forest(res, favours="PDT")


def test_risk_difference_header_names_the_confidence_level_of_the_intervals():
    from workbench.analysis.rates import risk_difference

    rd = risk_difference(events=[26, 19], totals=[119, 118], labels=["ct", "pdt"],
                         conf_level=0.9)
    texts = [t.get_text() for t in wb.plot_risk_differences(rd, favours=("ct", "pdt")).texts]
    assert "Comparison" in texts and "Difference [90% CI]" in texts
    assert "\u2190 favours ct" in texts and "favours pdt \u2192" in texts
    # a table that does not give its level gets no level in the header
    table = pd.DataFrame({"label": ["T6"], "estimate": [-0.06], "ci_lower": [-0.15],
                          "ci_upper": [0.04]})
    assert "Difference [CI]" in [t.get_text() for t in wb.plot_risk_differences(table).texts]


def test_sequential_titles_spell_out_the_spending_functions():
    design = wb.group_sequential_design(kmax=3, futility="bsOF")
    for ax in (wb.plot_boundaries(design), wb.plot_spending(design)):
        title = ax.get_title().replace("\n", " ")
        assert "O'Brien-Fleming type alpha spending" in title
        assert "O'Brien-Fleming type beta spending" in title
        assert "asOF" not in title and "bsOF" not in title
    assert wb.plotting.design_type_name("asKD", rho=2) == "Kim-DeMets alpha spending (rho = 2)"
    assert wb.plotting.design_type_name("WT", delta_wt=0.25) == (
        "Wang-Tsiatis boundaries (Delta = 0.25)")


def test_panels_with_a_shared_y_axis_keep_their_tick_labels(tmp_path):
    design = wb.load_design("t7")
    df = wb.simulate_trial(design, rng=1)
    for make in (subplots, plt.subplots):
        fig, axes = make(1, 2, figsize=(10, 4), sharey=True)
        wb.plot_spaghetti(df, ax=axes[0])
        wb.plot_mean_trajectory(df, design=design, ax=axes[1])
        fig.savefig(tmp_path / "panels.png")
        for ax in axes:
            assert any(t.get_visible() and t.get_text() for t in ax.get_yticklabels())


def test_continuous_labels_name_the_columns_not_a_scale():
    df = pd.DataFrame({"subject": [1, 1, 2, 2], "arm": ["a", "a", "b", "b"],
                       "visit": [0, 4, 0, 4], "score": [20.0, 15.0, 21.0, 12.0]})
    ax = wb.plot_spaghetti(df, outcome="score", visit="visit")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Visit", "score")
    ax = wb.plot_mean_trajectory(df, outcome="score", visit="visit", ylabel="Mean MADRS")
    assert ax.get_ylabel() == "Mean MADRS"
    assert "HAM-D" not in wb.plot_mean_trajectory(df, outcome="score", visit="visit").get_ylabel()


def test_a_created_figure_uses_constrained_layout_and_a_given_axes_is_left_alone():
    design = wb.group_sequential_design(kmax=3)
    ax = wb.plot_boundaries(design)
    assert type(ax.figure.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
    fig, own = plt.subplots()
    assert wb.plot_boundaries(design, ax=own) is own and fig.get_layout_engine() is None


def test_importing_the_plot_modules_leaves_seaborn_for_the_first_plot():
    """The house style is looked up when a plot is drawn, not when a module is imported."""
    import subprocess
    import sys

    modules = ", ".join(f"workbench.plotting.{m}" for m in (
        "continuous", "meta", "power", "rates", "sequential", "style", "survival"))
    code = f"import sys, {modules}; assert 'seaborn' not in sys.modules, 'seaborn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
