"""outcome-workbench: design, simulate and analyse clinical outcome trials.

Importing :mod:`workbench` is cheap: public names are loaded from their modules on first use
(plotting and papermill are only imported when asked for).

>>> import workbench
>>> design = workbench.load_design("t1")
>>> df = workbench.simulate_trial(design, rng=1)
>>> sorted(df["arm"].unique())
['combination', 'pharmacotherapy']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module (relative to this package) that defines it.
# Add new public names here, one line each, keeping the groups.
_EXPORTS: dict[str, str] = {
    # errors
    "WorkbenchError": ".exceptions",
    "InvalidParameterError": ".exceptions",
    "DataValidationError": ".exceptions",
    "ConvergenceError": ".exceptions",
    "NotebookRunError": ".exceptions",
    "StatisticalWarning": ".exceptions",
    # design and simulation
    "Arm": ".design",
    "SurvivalDesign": ".design",
    "load_design": ".design",
    "list_designs": ".design",
    "Exponential": ".design",
    "Weibull": ".design",
    "PiecewiseExponential": ".design",
    "ContinuousArm": ".design",
    "ContinuousDesign": ".design",
    "BinaryArm": ".design",
    "BinaryDesign": ".design",
    "SwitchRule": ".design",
    "solve_switch_stages": ".design",
    "TrialDesign": ".design.protocol",
    "simulate_trial": ".simulate",
    "simulate_arrays": ".simulate",
    # survival analysis
    "kaplan_meier": ".analysis.survival",
    "median_survival": ".analysis.survival",
    "logrank_test": ".analysis.survival",
    "cox_ph": ".analysis.survival",
    "rmst": ".analysis.survival",
    "cumulative_incidence": ".analysis.survival",
    "analyze_survival": ".analysis.survival",
    # remission and response rates
    "arm_rates": ".analysis.rates",
    "risk_difference": ".analysis.rates",
    "relative_risk": ".analysis.rates",
    "odds_ratio": ".analysis.rates",
    "number_needed_to_treat": ".analysis.rates",
    "chi_square_test": ".analysis.rates",
    "fisher_exact_test": ".analysis.rates",
    "pairwise_rate_tests": ".analysis.rates",
    "noninferiority_test": ".analysis.rates",
    "equivalence_test": ".analysis.rates",
    "logistic_regression": ".analysis.rates",
    "compare_rates": ".analysis.rates",
    "rates_sensitivity": ".analysis.rates",
    # continuous outcomes
    "t_test": ".analysis.continuous",
    "ancova": ".analysis.continuous",
    "hedges_g": ".analysis.continuous",
    "mmrm": ".analysis.continuous",
    "locf": ".analysis.continuous",
    "ancova_locf": ".analysis.continuous",
    "analyze_continuous": ".analysis.continuous",
    "power_ancova": ".power.continuous",
    # power and sample size
    "power_rates": ".power.analytic",
    "power_survival": ".power.analytic",
    "power_ttest": ".power.analytic",
    "simulate_power": ".power.simulation",
    "power_curve": ".power.simulation",
    "simulated_sample_size": ".power.simulation",
    "compare_tests": ".power.simulation",
    "grant_paragraph": ".power.report",
    "logrank_arrays": ".kernels.replicates",
    "cox_arrays": ".kernels.replicates",
    # group-sequential designs
    "GroupSequentialDesign": ".design.sequential",
    "group_sequential_design": ".design.sequential",
    "boundary_crossing": ".design.sequential",
    "spending_function": ".design.sequential",
    "sample_size_survival_sequential": ".power.sequential",
    "sample_size_rates_sequential": ".power.sequential",
    "monitor_sequential": ".power.sequential",
    "monitor_logrank": ".power.sequential",
    "power_survival_sequential": ".power.sequential",
    "hazard_ratio_bounds": ".power.sequential",
    "data_at_events": ".power.sequential",
    "simulate_survival_sequential": ".power.sequential",
    # meta-analysis
    "effect_sizes": ".analysis.meta",
    "meta_analysis": ".analysis.meta",
    "mantel_haenszel": ".analysis.meta",
    "egger_test": ".analysis.meta",
    "trim_and_fill": ".analysis.meta",
    "leave_one_out": ".analysis.meta",
    "subgroup_analysis": ".analysis.meta",
    "MetaAnalysisDesign": ".design.meta",
    "publication_bias": ".power.meta",
    # plotting
    "plot_km": ".plotting",
    "plot_risk_differences": ".plotting",
    "plot_rates": ".plotting",
    "plot_forest": ".plotting",
    "plot_funnel": ".plotting",
    "plot_spaghetti": ".plotting",
    "plot_mean_trajectory": ".plotting",
    "plot_boundaries": ".plotting",
    "plot_spending": ".plotting",
    "plot_power_curve": ".plotting",
    # notebooks
    "record": ".notebooks",
    "read_results": ".notebooks",
    "run_notebook": ".notebooks",
    "load_pipeline": ".pipelines",
    "run_pipeline": ".pipelines",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
