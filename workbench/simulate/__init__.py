"""Patient-level simulation, vectorised over replicates.

``simulate(design, *, rng)`` dispatches on the design's type and returns one tidy DataFrame;
``simulate_arrays(design, n_reps, *, rng)`` draws many replicates at once as arrays.
"""

from __future__ import annotations

import importlib

from ..exceptions import InvalidParameterError

# design class name -> (module, data-frame simulator, array simulator or None)
_SIMULATORS: dict[str, tuple[str, str, str | None]] = {
    "SurvivalDesign": (".survival", "simulate_survival", "simulate_survival_arrays"),
    "MetaAnalysisDesign": (".meta", "simulate_meta", "simulate_meta_arrays"),
    "BinaryDesign": (".binary", "simulate_binary", "simulate_binary_arrays"),
    "ContinuousDesign": (".continuous", "simulate_continuous", "simulate_continuous_arrays"),
}


def _lookup(design, which: int):
    entry = _SIMULATORS.get(type(design).__name__)
    if entry is None or entry[which] is None:
        known = ", ".join(sorted(_SIMULATORS))
        raise InvalidParameterError(
            f"`design` must be one of the workbench designs ({known}); got {type(design).__name__}."
        )
    module = importlib.import_module(entry[0], __name__)
    return getattr(module, entry[which])


def simulate(design, *, rng=None, **kwargs):
    """Simulate one trial from ``design`` as a tidy patient-level DataFrame.

    See the simulator of each design type (e.g.
    :func:`workbench.simulate.survival.simulate_survival`) for the columns.
    """
    return _lookup(design, 1)(design, rng=rng, **kwargs)


def simulate_arrays(design, n_reps, *, rng=None, **kwargs):
    """Simulate ``n_reps`` replicates of ``design`` at once as NumPy arrays (no per-replicate loop)."""
    return _lookup(design, 2)(design, n_reps, rng=rng, **kwargs)


__all__ = ["simulate", "simulate_arrays"]
