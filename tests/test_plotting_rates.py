"""Rates plots: what is drawn is where the numbers say."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from workbench.analysis.rates import arm_rates, compare_rates, odds_ratio, risk_difference  # noqa: E402
from workbench.exceptions import InvalidParameterError  # noqa: E402
from workbench.plotting import plot_rates, plot_risk_differences  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _markers(ax):
    return [ln for ln in ax.get_lines() if ln.get_marker() == "s"]


def test_forest_positions_match_the_estimates():
    t4 = compare_rates(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"])
    t3 = compare_rates(events=[11, 11, 13], totals=[53, 51, 52], labels=["placebo", "pdt", "sert"])
    ax = plot_risk_differences({"T4": t4, "T3": t3}, margin=-0.1, favours=("control", "PDT"))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["T4", "T3: pdt vs placebo", "T3: sert vs placebo"]
    xs = [m.get_xdata()[0] for m in _markers(ax)]
    expected = [t4.comparisons["risk_difference"].iloc[0], *t3.comparisons["risk_difference"]]
    np.testing.assert_allclose(xs, 100 * np.asarray(expected))
    intervals = [ln for ln in ax.get_lines() if ln.get_marker() in ("None", "", None)
                 and len(ln.get_xdata()) == 2 and ln.get_ydata()[0] == ln.get_ydata()[1]]
    assert intervals[0].get_xdata()[0] == pytest.approx(100 * t4.comparisons["rd_ci_lower"].iloc[0])


def test_forest_accepts_estimates_and_dataframes():
    rd = risk_difference(events=[26, 19], totals=[119, 118], labels=["ct", "pdt"])
    ax = plot_risk_differences([rd], labels=["T6"], percent=False)
    assert _markers(ax)[0].get_xdata()[0] == pytest.approx(rd.estimate)
    df = pd.DataFrame({"label": ["a", "b"], "estimate": [0.1, -0.05], "ci_lower": [0.0, -0.2],
                       "ci_upper": [0.2, 0.1]})
    ax = plot_risk_differences(df)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]


def test_forest_bad_input():
    with pytest.raises(InvalidParameterError, match="risk differences"):
        plot_risk_differences([odds_ratio(events=[1, 2], totals=[5, 5])])
    with pytest.raises(InvalidParameterError, match="rd_ci_lower"):
        plot_risk_differences(pd.DataFrame({"estimate": [0.1]}))
    with pytest.raises(InvalidParameterError, match="labels"):
        plot_risk_differences([risk_difference(events=[1, 2], totals=[5, 5])], labels=["a", "b"])


def test_plot_rates_bars_are_the_rates():
    r = arm_rates(events=[11, 13, 11], totals=[51, 52, 53])
    ax = plot_rates(r)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, 100 * np.asarray(r.rate))
    with pytest.raises(InvalidParameterError, match="result"):
        plot_rates("nope")


def test_plot_rates_draws_an_arm_without_events_and_names_the_counts():
    """0/50: the Wilson interval starts at the rate itself; the counts stand under the names."""
    ax = plot_rates(arm_rates(events=[0, 11], totals=[50, 53], labels=["placebo", "pdt"]))
    assert [p.get_height() for p in ax.patches][0] == 0.0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["placebo\n0/50", "pdt\n11/53"]
