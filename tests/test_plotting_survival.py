"""plot_km: one step curve per arm, confidence bands, censoring marks and a number-at-risk table."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import workbench  # noqa: E402
from tests.helpers import REFERENCE_DIR as REF_DIR  # noqa: E402
from tests.helpers import reference  # noqa: E402
from workbench import InvalidParameterError, analyze_survival, kaplan_meier  # noqa: E402
from workbench.plotting import plot_km  # noqa: E402

DS1 = REF_DIR / "data" / "ds1_maintenance_n92_ties.csv"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_km_from_data_draws_one_line_per_arm():
    df = pd.read_csv(DS1)
    ax = plot_km(df, time="time", event="event", group="arm")
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1"]
    assert len(ax.collections) >= 2  # confidence bands (+ censoring marks)


def test_plot_km_risk_table_shows_the_numbers_at_risk():
    """The risk table at 48 months shows R's n.risk (14 and 22, summary(fit, times=48))."""
    ref = reference("logrank_cox")["cases"][0]
    at = ref["outputs"]["km"]["by_conf_type"]["log"]["at_times"]
    km = kaplan_meier(pd.read_csv(DS1), time="time", event="event", group="arm")
    ax = plot_km(km, times=[0, 24, 48])
    texts = [a.get_text() for a in ax.texts]
    assert "Number at risk" in texts
    for arm in ("arm=0", "arm=1"):
        assert str(at[arm]["n_risk"][2]) in texts  # time 24
        assert str(at[arm]["n_risk"][4]) in texts  # time 48
    assert list(ax.get_xticks()) == [0, 24, 48]


def test_plot_km_on_given_axes_without_extras_and_pooled():
    df = pd.read_csv(DS1)
    fig, ax0 = plt.subplots()
    ax = plot_km(analyze_survival(df, time="time", event="event", group="arm", tau=48),
                 ax=ax0, ci=False, censor_marks=False, risk_table=False)
    assert ax is ax0 and len(ax.get_lines()) == 2 and not ax.collections and not ax.texts
    pooled = workbench.plot_km(df, time="time", event="event", risk_table=False)
    assert len(pooled.get_lines()) == 1


def test_plot_km_bad_input_is_named():
    with pytest.raises(InvalidParameterError, match="time"):
        plot_km(pd.read_csv(DS1))
    with pytest.raises(InvalidParameterError, match="`data`"):
        plot_km([1, 2, 3])


def test_plot_km_risk_table_labels_fit_in_the_figure():
    """Long arm names of the risk table are not cut off at the left edge of a new figure."""
    df = pd.DataFrame({"t": [2, 3, 5, 8, 4, 6, 7, 9], "e": [1, 1, 0, 1, 1, 0, 1, 0],
                       "arm": ["combination"] * 4 + ["pharmacotherapy"] * 4})
    ax = plot_km(df, time="t", event="e", group="arm")
    renderer = ax.figure.canvas.get_renderer()
    labels = [a for a in ax.texts if a.get_text() == "pharmacotherapy"]
    assert labels and labels[0].get_window_extent(renderer).x0 >= 0
