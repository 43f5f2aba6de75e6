"""Patient-level simulation, vectorised over replicates.

``simulate_trial(design, *, rng)`` returns one simulated trial as a tidy DataFrame;
``simulate_arrays(design, n_reps, *, rng)`` draws many replicates at once as arrays. Both dispatch
on the design's type through a registry (``simulate_trial.register(DesignType, function)``); a
design type that is not registered but implements the design protocol's ``simulate_block`` is
simulated by that method in :func:`simulate_arrays`.
"""

from __future__ import annotations

import functools
from typing import Any

from .._validation import type_name
from ..design.binary import BinaryDesign
from ..design.continuous import ContinuousDesign
from ..design.meta import MetaAnalysisDesign
from ..design.survival import SurvivalDesign
from ..exceptions import InvalidParameterError
from .binary import simulate_binary, simulate_binary_arrays
from .continuous import simulate_continuous, simulate_continuous_arrays
from .meta import simulate_meta, simulate_meta_arrays
from .survival import simulate_survival, simulate_survival_arrays

__all__ = ["simulate_trial", "simulate_arrays"]


def _unknown(design) -> InvalidParameterError:
    known = ", ".join(sorted(c.__name__ for c in simulate_trial.registry if c is not object))
    return InvalidParameterError(
        f"`design` must be one of the workbench designs ({known}); got {type_name(design)}."
    )


@functools.singledispatch
def simulate_trial(design, *, rng=None, **kwargs) -> Any:
    """Simulate one trial from ``design`` as a tidy patient-level DataFrame.

    See the simulator of each design type (e.g.
    :func:`workbench.simulate.survival.simulate_survival`) for the columns.

    Examples
    --------
    >>> import workbench as wb
    >>> df = wb.simulate_trial(wb.load_design("t1"), rng=1)
    >>> df.groupby("arm").size().to_dict()
    {'combination': 41, 'pharmacotherapy': 51}
    """
    raise _unknown(design)


@functools.singledispatch
def simulate_arrays(design, n_reps, *, rng=None, **kwargs) -> Any:
    """Simulate ``n_reps`` replicates of ``design`` at once as NumPy arrays.

    There is no loop per replicate: the design draws them as one block.
    """
    if hasattr(design, "simulate_block"):
        return design.simulate_block(n_reps, rng)
    raise _unknown(design)


for _design, _frame, _arrays in (
    (SurvivalDesign, simulate_survival, simulate_survival_arrays),
    (BinaryDesign, simulate_binary, simulate_binary_arrays),
    (ContinuousDesign, simulate_continuous, simulate_continuous_arrays),
    (MetaAnalysisDesign, simulate_meta, simulate_meta_arrays),
):
    simulate_trial.register(_design, _frame)
    simulate_arrays.register(_design, _arrays)
