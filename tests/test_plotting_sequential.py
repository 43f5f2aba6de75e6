"""plot_boundaries and plot_spending: boundaries against information, error spent."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from workbench import InvalidParameterError  # noqa: E402
from workbench.design import group_sequential_design  # noqa: E402
from workbench.plotting import plot_boundaries, plot_spending  # noqa: E402
from workbench.power.sequential import (  # noqa: E402
    monitor_sequential,
    sample_size_rates_sequential,
    sample_size_survival_sequential,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def design():
    return group_sequential_design(kmax=3, futility="bsOF")


def _line(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def test_z_scale_boundaries_are_the_design_values(design):
    ax = plot_boundaries(design)
    assert isinstance(ax, Axes)
    x, y = _line(ax, "efficacy")
    assert x == pytest.approx(design.information_rates) and y == pytest.approx(
        design.critical_values)
    x, y = _line(ax, "futility")
    assert y == pytest.approx(design.futility_bounds) and x == pytest.approx(
        design.information_rates[:2])


def test_two_sided_draws_the_lower_bound():
    d = group_sequential_design(kmax=4, alternative="two-sided", alpha=0.05)
    _, lower = _line(plot_boundaries(d), "efficacy (lower)")
    assert lower == pytest.approx(-np.asarray(d.critical_values))


def test_effect_scale_uses_events_and_hazard_ratios():
    design = group_sequential_design(kmax=3, futility="bsOF", alternative="less")
    s = sample_size_survival_sequential(design, p1=0.27, p2=0.47, event_time=48,
                                        accrual_time=24, follow_up=48)
    ax = plot_boundaries(s, scale="effect")
    x, y = _line(ax, "efficacy")
    assert x == pytest.approx(s.events_per_look) and y == pytest.approx(
        s.critical_values_effect_scale)
    assert ax.get_ylabel() == "Hazard ratio"
    r = sample_size_rates_sequential(design, p1=0.27, p2=0.47)
    x, y = _line(plot_boundaries(r, scale="effect"), "efficacy")
    assert x == pytest.approx(r.subjects_per_look) and y == pytest.approx(
        r.critical_values_effect_scale)


def test_p_scale_and_monitoring(design):
    ax = plot_boundaries(design, scale="p")
    assert _line(ax, "efficacy")[1] == pytest.approx(design.stage_levels)
    assert ax.get_yscale() == "log"
    m = monitor_sequential(design, z=[0.4, 1.8], information_rates=[0.3, 0.62])
    ax = plot_boundaries(m)
    assert _line(ax, "observed z")[1] == pytest.approx([0.4, 1.8])
    assert _line(ax, "efficacy")[1] == pytest.approx(m.critical_values)


def test_spending_plot_shows_alpha_and_beta_spent(design):
    ax = plot_spending(design)
    x, y = _line(ax, "alpha spent")
    assert x == pytest.approx([0.0, *design.information_rates])
    assert y == pytest.approx([0.0, *design.alpha_spent])
    x, y = _line(ax.right_ax, "beta spent")
    assert y == pytest.approx([0.0, *design.beta_spent])
    # a given Axes is drawn on and returned
    fig, own = plt.subplots()
    assert plot_spending(group_sequential_design(kmax=2, type_of_design="OF"), ax=own) is own


def test_plot_errors_name_the_parameter(design):
    with pytest.raises(InvalidParameterError, match="scale"):
        plot_boundaries(design, scale="effect")
    with pytest.raises(InvalidParameterError, match="scale"):
        plot_boundaries(design, scale="log")
    with pytest.raises(InvalidParameterError, match="obj"):
        plot_boundaries({"critical_values": [1, 2]})


def test_two_sided_futility_region_is_between_minus_u_and_u():
    d = group_sequential_design(information_rates=[0.4, 0.65, 0.8, 1], alpha=0.05,
                                alternative="two-sided",
                                beta=0.1, type_of_design="asKD", rho=2.5, futility="bsKD",
                                futility_rho=1.5, binding=True)
    ax = plot_boundaries(d)
    x, up = _line(ax, "futility")
    _, low = _line(ax, "futility (lower)")
    np.testing.assert_allclose(up, d.futility_bounds)
    np.testing.assert_allclose(low, -np.asarray(d.futility_bounds))
    np.testing.assert_allclose(x, d.information_rates[:-1])
