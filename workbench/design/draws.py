"""Vectorised draws of the built-in designs' replicates.

The generative model behind each design's ``simulate_block`` (:mod:`workbench.design.protocol`).

Each function draws ``n_reps`` replicates at once as ``(n_reps, n_patients[, ...])`` arrays from a
numpy Generator, with no loop over replicates. Every arm has its own independent streams
(``Generator.spawn``), drawn patient by patient (patient-major arrays), so the first ``n`` patients
of an arm get the same numbers whatever the arm's size: designs that differ only in size or effect
see common random numbers. The validated public entry points are
:func:`workbench.simulate.survival.simulate_survival_arrays`,
:func:`workbench.simulate.binary.simulate_binary_arrays` and
:func:`workbench.simulate.continuous.simulate_continuous_arrays`; the patient-level data sets of the
simulate layer are built from these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice
from ..kernels.workspace import work_array

# The draws read a design's fields and never import the design modules (which import them): the
# ``design`` arguments are a SurvivalDesign, a BinaryDesign and a ContinuousDesign.

__all__ = ["SurvivalArrays", "BinaryArrays", "ContinuousArrays", "draw_survival", "draw_binary",
           "draw_continuous"]

_SURVIVAL_STREAMS = 4  # entry, event, cure, dropout
_BINARY_STREAMS = 5  # response, outcome, drop-out, drop-out time, covariates


# --------------------------------------------------------------------------------------------
# time to event
# --------------------------------------------------------------------------------------------
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
        """Number of replicates."""
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


def draw_survival(design: Any, n_reps: int, gen: np.random.Generator) -> SurvivalArrays:
    """``n_reps`` replicates of a time-to-event trial (see the module notes).

    Inside :func:`workbench.kernels.workspace.reused_buffers` the arrays are work arrays reused by
    the next block (valid until the next draw); outside it they are new arrays.
    """
    streams = gen.spawn(len(design.arms) * _SURVIVAL_STREAMS)

    # Draws are patient-major (n_arm, n_reps); each is copied once into replicate-major outputs
    # (filling preallocated arrays is much faster than concatenating transposed views).
    out_shape = (n_reps, design.n_total)
    entry = work_array("draw.entry", out_shape)
    event_time = work_array("draw.event_time", out_shape)
    dropout_time = work_array("draw.dropout_time", out_shape)
    col = 0
    for i, arm in enumerate(design.arms):
        first = i * _SURVIVAL_STREAMS
        g_entry, g_event, g_cure, g_drop = streams[first : first + _SURVIVAL_STREAMS]
        shape = (arm.n, n_reps)  # patient-major: common random numbers across arm sizes
        cols = slice(col, col + arm.n)
        col += arm.n
        u = g_entry.random(out=work_array("draw.u", shape))
        u *= design.accrual_time
        entry[:, cols] = u.T
        x = g_event.standard_exponential(out=work_array("draw.x", shape))
        t = arm.event_time.sample(x)
        if arm.cure_fraction > 0:
            t = np.where(g_cure.random(shape) < arm.cure_fraction, np.inf, t)
        event_time[:, cols] = t.T
        if design.dropout_rate > 0:
            d = g_drop.standard_exponential(out=u)
            d /= design.dropout_rate
            dropout_time[:, cols] = d.T
        else:
            dropout_time[:, cols] = np.inf

    admin = work_array("draw.admin", out_shape)
    if design.follow_up_type == "fixed":
        admin.fill(design.follow_up)
    else:
        np.subtract(design.study_duration, entry, out=admin)
    censor = np.minimum(dropout_time, admin, out=work_array("draw.censor", out_shape))
    time = np.minimum(event_time, censor, out=work_array("draw.time", out_shape))
    event = np.less_equal(event_time, censor, out=work_array("draw.event", out_shape, bool))
    arm_index = np.repeat(np.arange(len(design.arms)), design.n_per_arm)
    return SurvivalArrays(arm_index, entry, event_time, dropout_time, admin, time, event)


# --------------------------------------------------------------------------------------------
# binary outcome (single- or two-stage arms, drop-out)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BinaryArrays:
    """Many simulated replicates of one binary-outcome design, patients in arm order.

    Attributes
    ----------
    arm : int array (n,)
        Arm index of each patient (0 = first arm of the design); the same in every replicate.
    arm_names : tuple of str
    stage1_response : float array (n_reps, n)
        1/0 stage-1 response; NaN in single-stage arms and after drop-out before the assessment.
    switched : bool array (n_reps, n)
    dropped_out : bool array (n_reps, n)
    dropout_week : float array (n_reps, n)
        NaN for completers.
    outcome_latent : bool array (n_reps, n)
        The outcome each patient would have had at the end point.
    outcome : float array (n_reps, n)
        Observed outcome, NaN after drop-out.
    outcome_nri : bool array (n_reps, n)
        Observed outcome with a missing one counted as a treatment failure.
    higher_is_better : bool
    """

    arm: np.ndarray
    arm_names: tuple[str, ...]
    stage1_response: np.ndarray
    switched: np.ndarray
    dropped_out: np.ndarray
    dropout_week: np.ndarray
    outcome_latent: np.ndarray
    outcome: np.ndarray
    outcome_nri: np.ndarray
    higher_is_better: bool

    @property
    def n_reps(self) -> int:
        """Number of replicates."""
        return self.outcome.shape[0]

    def counts(self, missing: str = "nri") -> tuple[np.ndarray, np.ndarray]:
        """Events and patients analysed per arm, arrays of shape ``(n_reps, k)``.

        ``missing``: ``"nri"`` (every patient, missing counted as failure), ``"complete_case"``
        (completers only) or ``"latent"`` (every patient's latent outcome, no missing data).
        """
        check_choice("missing", missing, ("nri", "complete_case", "latent"))
        k = len(self.arm_names)
        onehot = np.eye(k, dtype=np.int64)[self.arm]  # (n, k)
        if missing == "nri":
            y, keep = self.outcome_nri, np.ones_like(self.outcome_nri)
        elif missing == "latent":
            y, keep = self.outcome_latent, np.ones_like(self.outcome_latent)
        else:
            keep = ~self.dropped_out
            y = self.outcome_latent & keep
        return y.astype(np.int64) @ onehot, keep.astype(np.int64) @ onehot


def draw_binary(design: Any, n_reps: int, gen: np.random.Generator) -> BinaryArrays:
    """``n_reps`` replicates of a binary-outcome trial (see the module notes)."""
    streams = gen.spawn(len(design.arms) * _BINARY_STREAMS)
    T = design.endpoint_week
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "stage1", "switched", "dropped", "dweek", "latent")}
    for i, arm in enumerate(design.arms):
        g_resp, g_out, g_drop, g_dtime, _ = streams[i * _BINARY_STREAMS:(i + 1) * _BINARY_STREAMS]
        shape = (arm.n, n_reps)  # patient-major: common random numbers across arm sizes
        u_out = g_out.random(shape).T
        d = design.arm_dropout(arm)
        dropped = g_drop.random(shape).T < d
        dweek = np.where(dropped, g_dtime.random(shape).T * T, np.nan)
        if arm.switch is not None:
            rule = arm.switch
            resp = g_resp.random(shape).T < rule.response
            latent = u_out < np.where(resp, rule.remission_responders, rule.remission_switched)
            early = dropped & (dweek < rule.response_week)
            stage1 = np.where(early, np.nan, resp.astype(float))
            switched = ~resp & ~early
        else:
            assert arm.p is not None  # set for every constructed arm
            latent = u_out < arm.p
            stage1 = np.full((n_reps, arm.n), np.nan)
            switched = np.zeros((n_reps, arm.n), dtype=bool)
        parts["stage1"].append(stage1)
        parts["switched"].append(switched)
        parts["dropped"].append(dropped)
        parts["dweek"].append(dweek)
        parts["latent"].append(latent)
    cat = {k: np.concatenate(v, axis=1) for k, v in parts.items()}
    dropped, latent = cat["dropped"], cat["latent"]
    outcome = np.where(dropped, np.nan, latent.astype(float))
    fail = not design.higher_is_better
    nri = np.where(dropped, fail, latent)
    return BinaryArrays(
        arm=np.repeat(np.arange(len(design.arms)), design.n_per_arm),
        arm_names=tuple(design.arm_names),
        stage1_response=cat["stage1"],
        switched=cat["switched"],
        dropped_out=dropped,
        dropout_week=cat["dweek"],
        outcome_latent=latent,
        outcome=outcome,
        outcome_nri=nri,
        higher_is_better=design.higher_is_better,
    )


# --------------------------------------------------------------------------------------------
# repeatedly measured continuous outcome (drop-out MCAR or MAR)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContinuousArrays:
    """Many simulated replicates of one :class:`ContinuousDesign`, patients in arm order.

    Attributes
    ----------
    arm : int array (n,)
        Arm index of each patient (0 = control, 1 = experimental); the same in every replicate.
    y : float array (n_reps, n, n_visits)
        Scores at every visit, rounded and clipped as the design says, including the (unobserved)
        scores after drop-out.
    observed : bool array (n_reps, n, n_visits)
        Whether each score was observed (monotone: ``True`` up to the last visit attended).
    weeks : float array (n_visits,)
    remission_threshold : float or None
    outcome_column : str, default "outcome"
        Name of the score column in the long data of :func:`arrays_to_long`.
    """

    arm: np.ndarray
    y: np.ndarray
    observed: np.ndarray
    weeks: np.ndarray
    remission_threshold: float | None
    outcome_column: str = "outcome"

    @property
    def n_reps(self) -> int:
        """Number of replicates."""
        return self.y.shape[0]

    @property
    def y_observed(self) -> np.ndarray:
        """Scores with ``nan`` where not observed."""
        return np.where(self.observed, self.y, np.nan)

    @property
    def last_visit(self) -> np.ndarray:
        """Index of the last visit attended, ``(n_reps, n)``."""
        return self.observed.sum(axis=-1) - 1

    @property
    def remission(self) -> np.ndarray:
        """1.0 / 0.0 for remission at the last visit, ``nan`` if it was not observed.

        Also ``nan`` when the design defines no remission threshold.
        """
        if self.remission_threshold is None:
            return np.full(self.y.shape[:-1], np.nan)
        rem = (self.y[..., -1] <= self.remission_threshold).astype(float)
        return np.where(self.observed[..., -1], rem, np.nan)


def _round_clip(x: np.ndarray, design: Any) -> np.ndarray:
    if design.round_to is not None:
        x = np.round(x / design.round_to) * design.round_to
    if design.scale is not None:
        x = np.clip(x, design.scale[0], design.scale[1])
    return x + 0.0  # + 0.0: no negative zeros


def draw_continuous(design: Any, n_reps: int,
                    gen: np.random.Generator) -> ContinuousArrays:
    """``n_reps`` replicates of a repeated-measures trial.

    See :func:`workbench.simulate.continuous.simulate_continuous_arrays` for the model.
    """
    k = design.n_visits
    chol = design._chol
    means = design.mean_matrix()
    ys, us, arms = [], [], []
    for a, stream in enumerate(gen.spawn(len(design.arms))):
        g_score, g_drop = stream.spawn(2)
        n = design.arms[a].n
        z = g_score.standard_normal((n, n_reps, k))
        u = g_drop.random((n, n_reps, k - 1))
        ys.append(means[a] + z @ chol.T)
        us.append(u)
        arms.append(np.full(n, a))
    y = _round_clip(np.concatenate(ys, axis=0).transpose(1, 0, 2), design)
    u = np.concatenate(us, axis=0).transpose(1, 0, 2)
    arm = np.concatenate(arms)

    observed = np.ones(y.shape, dtype=bool)
    centre = means.mean(axis=0)
    assert design.dropout is not None  # all zeros when not given
    for j in range(1, k):
        h = design.dropout[j - 1]
        if h == 0:
            p = np.zeros(y.shape[:2])
        elif design.dropout_mechanism == "MAR" and design.dropout_slope != 0:
            eta = np.log(h / (1 - h)) + design.dropout_slope * (y[..., j - 1] - centre[j - 1])
            p = 1.0 / (1.0 + np.exp(-eta))
        else:
            p = np.full(y.shape[:2], h)
        observed[..., j] = observed[..., j - 1] & (u[..., j - 1] >= p)
    return ContinuousArrays(arm=arm, y=y, observed=observed, weeks=np.asarray(design.weeks),
                            remission_threshold=design.remission_threshold,
                            outcome_column=design.outcome_column)
