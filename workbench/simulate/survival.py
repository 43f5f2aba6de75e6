"""Simulation of time-to-event trials, vectorised over replicates.

:func:`simulate_survival_arrays` draws many replicates at once as ``(n_reps, n_patients)`` arrays;
:func:`simulate_survival` draws one trial as a tidy patient-level DataFrame from the same code.

Random numbers: each arm has its own independent streams (``Generator.spawn``) for entry times, event
times, cure and loss to follow-up, drawn patient by patient (an array of shape ``(n, n_reps)``), so the
first ``n`` patients of an arm get the same numbers whatever the arm's size: a search over sample sizes
uses common random numbers, and power curves over N are smooth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import _check_int, _rng
from ..design.survival import SurvivalDesign
from ..exceptions import InvalidParameterError

__all__ = ["SurvivalArrays", "simulate_survival", "simulate_survival_arrays", "CENSORING_REASONS"]

#: values of the ``censoring_reason`` column
CENSORING_REASONS = ("administrative", "lost to follow-up")

_STREAMS = 4  # entry, event, cure, dropout


@dataclass(frozen=True)
class SurvivalArrays:
    """Many simulated replicates of one design, patients in arm order.

    Attributes
    ----------
    arm : int array (n,)
        Arm index of each patient (0 = first arm of the design); the same in every replicate.
    entry : float array (n_reps, n)
        Calendar time of entry.
    event_time : float array (n_reps, n)
        Latent time from entry to the event (``inf`` for cured patients).
    dropout_time : float array (n_reps, n)
        Latent time from entry to loss to follow-up (``inf`` without loss to follow-up).
    admin_time : float array (n_reps, n)
        Follow-up available from entry to the administrative end (fixed or calendar).
    time : float array (n_reps, n)
        Observed time: the minimum of the three.
    event : bool array (n_reps, n)
        Whether the event was observed.
    """

    arm: np.ndarray
    entry: np.ndarray
    event_time: np.ndarray
    dropout_time: np.ndarray
    admin_time: np.ndarray
    time: np.ndarray
    event: np.ndarray

    @property
    def n_reps(self) -> int:
        return self.time.shape[0]

    @property
    def lost(self) -> np.ndarray:
        """Censored by loss to follow-up (bool, (n_reps, n))."""
        return ~self.event & (self.dropout_time < self.admin_time)

    def censor_at(self, calendar_time) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Data as seen at a calendar cut-off (a scalar or one per replicate).

        Returns ``(time, event, enrolled)``: patients not yet enrolled have ``enrolled`` False and
        time 0. Used for interim analyses.
        """
        cut = np.asarray(calendar_time, dtype=float)
        if cut.ndim == 1:
            cut = cut[:, None]
        avail = np.minimum(self.admin_time, cut - self.entry)
        enrolled = avail > 0
        censor = np.minimum(self.dropout_time, avail)
        t = np.clip(np.minimum(self.event_time, censor), 0, None)
        ev = enrolled & (self.event_time <= censor)
        return np.where(enrolled, t, 0.0), ev, enrolled


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
        raise InvalidParameterError(f"`design` must be a SurvivalDesign; got {type(design).__name__}.")
    n_reps = _check_int("n_reps", n_reps, minimum=1)
    gen = _rng(rng)
    streams = gen.spawn(len(design.arms) * _STREAMS)

    # Draws are patient-major (n_arm, n_reps); each is copied once into replicate-major outputs
    # (filling preallocated arrays is much faster than concatenating transposed views).
    out_shape = (n_reps, design.n_total)
    entry = np.empty(out_shape)
    event_time = np.empty(out_shape)
    dropout_time = np.empty(out_shape)
    col = 0
    for i, arm in enumerate(design.arms):
        g_entry, g_event, g_cure, g_drop = streams[i * _STREAMS : (i + 1) * _STREAMS]
        shape = (arm.n, n_reps)  # patient-major: common random numbers across arm sizes
        cols = slice(col, col + arm.n)
        col += arm.n
        u = g_entry.random(shape)
        u *= design.accrual_time
        entry[:, cols] = u.T
        t = arm.event_time.sample(g_event.standard_exponential(shape))
        if arm.cure_fraction > 0:
            t = np.where(g_cure.random(shape) < arm.cure_fraction, np.inf, t)
        event_time[:, cols] = t.T
        if design.dropout_rate > 0:
            d = g_drop.standard_exponential(shape)
            d /= design.dropout_rate
            dropout_time[:, cols] = d.T
        else:
            dropout_time[:, cols] = np.inf

    if design.follow_up_type == "fixed":
        admin = np.full_like(entry, design.follow_up)
    else:
        admin = design.study_duration - entry
    censor = np.minimum(dropout_time, admin)
    time = np.minimum(event_time, censor)
    event = event_time <= censor
    arm_index = np.repeat(np.arange(len(design.arms)), design.n_per_arm)
    return SurvivalArrays(arm_index, entry, event_time, dropout_time, admin, time, event)


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
        - ``censoring_reason``: ``"administrative"``, ``"lost to follow-up"``, or missing for events,
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
    reason = np.where(sims.event[0], None, np.where(lost, CENSORING_REASONS[1], CENSORING_REASONS[0]))
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
