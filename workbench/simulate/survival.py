"""Simulation of time-to-event trials, vectorised over replicates.

:func:`simulate_survival_arrays` draws many replicates at once as ``(n_reps, n_patients)`` arrays;
:func:`simulate_survival` draws one trial as a tidy patient-level DataFrame from the same code.

Random numbers: each arm has its own independent streams (``Generator.spawn``) for entry times,
event times, cure and loss to follow-up, drawn patient by patient (an array of shape
``(n, n_reps)``), so the first ``n`` patients of an arm get the same numbers whatever the arm's
size: a search over sample sizes uses common random numbers, and power curves over N are smooth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import as_generator, check_int, type_name
from ..design.draws import SurvivalArrays, draw_survival
from ..design.survival import SurvivalDesign
from ..exceptions import InvalidParameterError

__all__ = ["SurvivalArrays", "simulate_survival", "simulate_survival_arrays", "CENSORING_REASONS"]

#: values of the ``censoring_reason`` column
CENSORING_REASONS = ("administrative", "lost to follow-up")

def simulate_survival_arrays(design: SurvivalDesign, n_reps: int, *, rng=None) -> SurvivalArrays:
    """Draw ``n_reps`` replicates of a time-to-event trial at once.

    Parameters
    ----------
    design : SurvivalDesign
    n_reps : int >= 1
    rng : numpy Generator, int seed or None

    Returns
    -------
    SurvivalArrays

    Examples
    --------
    >>> from workbench.design import load_design
    >>> sims = simulate_survival_arrays(load_design("t1"), 1000, rng=42)
    >>> sims.time.shape
    (1000, 92)
    >>> bool(sims.time.max() <= 48)
    True
    """
    if not isinstance(design, SurvivalDesign):
        raise InvalidParameterError(
            f"`design` must be a SurvivalDesign; got {type_name(design)}.")
    n_reps = check_int("n_reps", n_reps, minimum=1)
    return draw_survival(design, n_reps, as_generator(rng))


def simulate_survival(design: SurvivalDesign, *, rng=None) -> pd.DataFrame:
    """Simulate one time-to-event trial as a tidy patient-level DataFrame.

    Parameters
    ----------
    design : SurvivalDesign
    rng : numpy Generator, int seed or None

    Returns
    -------
    pandas.DataFrame
        One row per patient, columns:

        - ``id`` (1..n), ``arm`` (arm name),
        - ``entry_time``: calendar time of entry,
        - ``event_time``: latent time from entry to the event (``inf`` if cured; in practice
          unobserved when censored, kept for teaching and checking),
        - ``time``: observed time from entry (event or censoring),
        - ``event``: 1 if the event was observed, else 0,
        - ``censoring_reason``: ``"administrative"``, ``"lost to follow-up"``, or missing for
          events,
        - ``exit_time``: calendar time of the event or censoring (``entry_time + time``).

    Examples
    --------
    >>> from workbench.design import load_design
    >>> df = simulate_survival(load_design("t1"), rng=2024)
    >>> df.groupby("arm").size().to_dict()
    {'combination': 41, 'pharmacotherapy': 51}
    >>> list(df.columns)
    ['id', 'arm', 'entry_time', 'event_time', 'time', 'event', 'censoring_reason', 'exit_time']
    """
    sims = simulate_survival_arrays(design, 1, rng=rng)
    lost = sims.lost[0]
    # numpy's stubs take no None as a value, np.where does (an object array)
    reason = np.where(sims.event[0], None,  # type: ignore[call-overload]
                      np.where(lost, CENSORING_REASONS[1], CENSORING_REASONS[0]))
    names = np.asarray(design.arm_names, dtype=object)
    df = pd.DataFrame(
        {
            "id": np.arange(1, design.n_total + 1),
            "arm": names[sims.arm],
            "entry_time": sims.entry[0],
            "event_time": sims.event_time[0],
            "time": sims.time[0],
            "event": sims.event[0].astype(int),
            "censoring_reason": pd.Series(reason, dtype="object"),
            "exit_time": sims.entry[0] + sims.time[0],
        }
    )
    return df
