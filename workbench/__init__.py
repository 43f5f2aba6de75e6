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
from typing import TYPE_CHECKING, Any

from ._version import __version__

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
    "fleming_harrington_test": ".analysis.survival",
    "magirr_burman_test": ".analysis.survival",
    "maxcombo_test": ".analysis.survival",
    "rmst_difference_test": ".analysis.survival",
    "milestone_test": ".analysis.survival",
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
    "power_calculator": ".calculator",
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

if TYPE_CHECKING:  # what editors and type checkers see; at run time names load lazily
    from .analysis.continuous import (
        analyze_continuous,
        ancova,
        ancova_locf,
        hedges_g,
        locf,
        mmrm,
        t_test,
    )
    from .analysis.meta import (
        effect_sizes,
        egger_test,
        leave_one_out,
        mantel_haenszel,
        meta_analysis,
        subgroup_analysis,
        trim_and_fill,
    )
    from .analysis.rates import (
        arm_rates,
        chi_square_test,
        compare_rates,
        equivalence_test,
        fisher_exact_test,
        logistic_regression,
        noninferiority_test,
        number_needed_to_treat,
        odds_ratio,
        pairwise_rate_tests,
        rates_sensitivity,
        relative_risk,
        risk_difference,
    )
    from .analysis.survival import (
        analyze_survival,
        cox_ph,
        cumulative_incidence,
        fleming_harrington_test,
        kaplan_meier,
        logrank_test,
        magirr_burman_test,
        maxcombo_test,
        median_survival,
        milestone_test,
        rmst,
        rmst_difference_test,
    )
    from .calculator import power_calculator
    from .design import (
        Arm,
        BinaryArm,
        BinaryDesign,
        ContinuousArm,
        ContinuousDesign,
        Exponential,
        PiecewiseExponential,
        SurvivalDesign,
        SwitchRule,
        Weibull,
        list_designs,
        load_design,
        solve_switch_stages,
    )
    from .design.meta import MetaAnalysisDesign
    from .design.protocol import TrialDesign
    from .design.sequential import (
        GroupSequentialDesign,
        boundary_crossing,
        group_sequential_design,
        spending_function,
    )
    from .exceptions import (
        ConvergenceError,
        DataValidationError,
        InvalidParameterError,
        NotebookRunError,
        StatisticalWarning,
        WorkbenchError,
    )
    from .kernels.replicates import cox_arrays, logrank_arrays
    from .notebooks import read_results, record, run_notebook
    from .pipelines import load_pipeline, run_pipeline
    from .plotting import (
        plot_boundaries,
        plot_forest,
        plot_funnel,
        plot_km,
        plot_mean_trajectory,
        plot_power_curve,
        plot_rates,
        plot_risk_differences,
        plot_spaghetti,
        plot_spending,
    )
    from .power.analytic import power_rates, power_survival, power_ttest
    from .power.continuous import power_ancova
    from .power.meta import publication_bias
    from .power.report import grant_paragraph
    from .power.sequential import (
        data_at_events,
        hazard_ratio_bounds,
        monitor_logrank,
        monitor_sequential,
        power_survival_sequential,
        sample_size_rates_sequential,
        sample_size_survival_sequential,
        simulate_survival_sequential,
    )
    from .power.simulation import compare_tests, power_curve, simulate_power, simulated_sample_size
    from .simulate import simulate_arrays, simulate_trial

__all__ = [
    "Arm",
    "BinaryArm",
    "BinaryDesign",
    "ContinuousArm",
    "ContinuousDesign",
    "ConvergenceError",
    "DataValidationError",
    "Exponential",
    "GroupSequentialDesign",
    "InvalidParameterError",
    "MetaAnalysisDesign",
    "NotebookRunError",
    "PiecewiseExponential",
    "StatisticalWarning",
    "SurvivalDesign",
    "SwitchRule",
    "TrialDesign",
    "Weibull",
    "WorkbenchError",
    "analyze_continuous",
    "analyze_survival",
    "ancova",
    "ancova_locf",
    "arm_rates",
    "boundary_crossing",
    "chi_square_test",
    "compare_rates",
    "compare_tests",
    "cox_arrays",
    "cox_ph",
    "cumulative_incidence",
    "data_at_events",
    "effect_sizes",
    "egger_test",
    "equivalence_test",
    "fisher_exact_test",
    "grant_paragraph",
    "group_sequential_design",
    "hazard_ratio_bounds",
    "hedges_g",
    "kaplan_meier",
    "leave_one_out",
    "list_designs",
    "load_design",
    "load_pipeline",
    "locf",
    "logistic_regression",
    "logrank_arrays",
    "logrank_test",
    "mantel_haenszel",
    "median_survival",
    "meta_analysis",
    "mmrm",
    "monitor_logrank",
    "monitor_sequential",
    "noninferiority_test",
    "number_needed_to_treat",
    "odds_ratio",
    "pairwise_rate_tests",
    "plot_boundaries",
    "plot_forest",
    "plot_funnel",
    "plot_km",
    "plot_mean_trajectory",
    "plot_power_curve",
    "plot_rates",
    "plot_risk_differences",
    "plot_spaghetti",
    "plot_spending",
    "power_ancova",
    "power_calculator",
    "power_curve",
    "power_rates",
    "power_survival",
    "power_survival_sequential",
    "power_ttest",
    "publication_bias",
    "rates_sensitivity",
    "read_results",
    "record",
    "relative_risk",
    "risk_difference",
    "rmst",
    "run_notebook",
    "run_pipeline",
    "sample_size_rates_sequential",
    "sample_size_survival_sequential",
    "simulate_arrays",
    "simulate_power",
    "simulate_survival_sequential",
    "simulate_trial",
    "simulated_sample_size",
    "solve_switch_stages",
    "spending_function",
    "subgroup_analysis",
    "t_test",
    "trim_and_fill",
    "__version__",
    "fleming_harrington_test",
    "magirr_burman_test",
    "maxcombo_test",
    "rmst_difference_test",
    "milestone_test",
]


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
