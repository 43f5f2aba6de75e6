"""Simulation of binary-outcome (remission, response) trials, vectorised over replicates.

:func:`simulate_binary_arrays` draws many replicates at once as ``(n_reps, n_patients)`` arrays;
:func:`simulate_binary` draws one trial as a tidy patient-level DataFrame from the same code;
:func:`simulate_binary_counts` draws only the per-arm counts (multinomial), for power simulations
with very many replicates.

Model, per patient of an arm with outcome probability ``p`` and drop-out probability ``d``:

- single-stage arm: the latent outcome is Bernoulli(p);
- two-stage arm (:class:`~workbench.design.binary.SwitchRule`): stage-1 response R ~
  Bernoulli(response); responders continue and have the outcome with probability
  ``remission_responders``, non-responders switch and have it with ``remission_switched``;
- drop-out before the end point with probability ``d``, independent of the outcome (missing
  completely at random), at a week uniform on ``(0, endpoint_week)``. A patient who drops out
  before the stage-1 assessment has no observed stage-1 response and does not switch.
- observed outcome: the latent outcome, or missing (NaN) after drop-out; ``outcome_nri`` counts a
  missing outcome as a treatment failure (0 for a good outcome, 1 for a bad one such as "still
  depressed").

Random numbers: each arm has its own independent streams (``Generator.spawn``) for response,
outcome, drop-out, drop-out time and baseline covariates, drawn patient by patient, so the first
``n`` patients of an arm get the same numbers whatever the arm's size (common random numbers across
sample sizes) and adding covariates does not change the outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import as_generator, check_choice, check_int, type_name
from ..design.binary import BinaryDesign
from ..design.draws import BinaryArrays, draw_binary
from ..exceptions import InvalidParameterError

__all__ = [
    "BinaryArrays",
    "BinaryCounts",
    "simulate_binary",
    "simulate_binary_arrays",
    "simulate_binary_counts",
    "BINARY_COLUMNS",
]

#: columns of :func:`simulate_binary` (without covariates)
BINARY_COLUMNS = (
    "id", "arm", "stage1_response", "switched", "dropped_out", "dropout_week",
    "outcome_latent", "outcome", "outcome_nri",
)

def _check_design(design) -> BinaryDesign:
    if not isinstance(design, BinaryDesign):
        raise InvalidParameterError(
            f"`design` must be a BinaryDesign; got {type_name(design)}.")
    return design


@dataclass(frozen=True)
class BinaryCounts:
    """Per-arm counts of many replicates (arrays of shape ``(n_reps, k)``).

    Attributes
    ----------
    arm_names : tuple of str
    totals : int array (k,)
        Patients randomised per arm.
    events_latent : latent outcomes (no missing data)
    events_nri : outcomes under non-responder imputation (over ``totals``)
    events_observed : outcomes among completers (over ``completers``)
    completers : patients with an observed outcome
    switched : patients who switched treatment at the stage-1 assessment
    """

    arm_names: tuple[str, ...]
    totals: np.ndarray
    events_latent: np.ndarray
    events_nri: np.ndarray
    events_observed: np.ndarray
    completers: np.ndarray
    switched: np.ndarray

    @property
    def n_reps(self) -> int:
        """Number of replicates."""
        return self.events_nri.shape[0]

    def counts(self, missing: str = "nri") -> tuple[np.ndarray, np.ndarray]:
        """Events and patients analysed per arm, as :meth:`BinaryArrays.counts`."""
        check_choice("missing", missing, ("nri", "complete_case", "latent"))
        full = np.broadcast_to(self.totals, self.events_nri.shape)
        if missing == "nri":
            return self.events_nri, full
        if missing == "latent":
            return self.events_latent, full
        return self.events_observed, self.completers


def simulate_binary_arrays(design: BinaryDesign, n_reps: int, *, rng=None) -> BinaryArrays:
    """Draw ``n_reps`` replicates of a binary-outcome trial at once (no per-replicate loop).

    Parameters
    ----------
    design : BinaryDesign
    n_reps : int >= 1
    rng : numpy Generator, int seed or None

    Returns
    -------
    BinaryArrays

    Examples
    --------
    >>> from workbench.design import load_design
    >>> sims = simulate_binary_arrays(load_design("t4").with_dropout(0.1), 2000, rng=1)
    >>> events, n = sims.counts("nri")
    >>> events.shape, n[0].tolist()
    ((2000, 2), [25, 26])
    """
    design = _check_design(design)
    n_reps = check_int("n_reps", n_reps, minimum=1)
    return draw_binary(design, n_reps, as_generator(rng))


def simulate_binary_counts(design: BinaryDesign, n_reps: int, *, rng=None) -> BinaryCounts:
    """Draw only the per-arm counts of ``n_reps`` replicates (multinomial; no patient arrays).

    Same model as :func:`simulate_binary_arrays` (and the same distribution of counts) but memory
    grows with ``n_reps * k`` only, so millions of replicates are cheap. The random numbers differ
    from :func:`simulate_binary_arrays` for the same seed.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> c = simulate_binary_counts(load_design("t5").with_dropout(0.1), 100_000, rng=7)
    >>> events, n = c.counts("nri")
    >>> [round(float(v), 2) for v in (events / n).mean(axis=0)]
    [0.23, 0.23]
    """
    design = _check_design(design)
    n_reps = check_int("n_reps", n_reps, minimum=1)
    streams = as_generator(rng).spawn(len(design.arms))
    T = design.endpoint_week
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("latent", "nri", "obs", "comp", "switched")}
    for g, arm in zip(streams, design.arms, strict=True):
        d = design.arm_dropout(arm)
        if arm.switch is not None:
            sw = arm.switch
            r, a, b = sw.response, sw.remission_responders, sw.remission_switched
            early = d * arm.switch.response_week / T  # drop-out before the stage-1 assessment
        else:
            assert arm.p is not None  # set for every constructed arm
            r, a, b, early = 1.0, arm.p, arm.p, 0.0
        # cells: response R (0/1) x latent outcome Y (0/1)
        #        x {completer, late drop-out, early drop-out}
        probs, keys = [], []
        for R in (1, 0):
            pr = r if R else 1 - r
            for Y in (1, 0):
                py = (a if R else b) if Y else 1 - (a if R else b)
                for status, ps in (("complete", 1 - d), ("late", d - early), ("early", early)):
                    probs.append(pr * py * ps)
                    keys.append((R, Y, status))
        probs = np.clip(np.asarray(probs), 0, None)
        m = g.multinomial(arm.n, probs / probs.sum(), size=n_reps)  # (n_reps, 12)

        def sel(f, m=m, keys=keys):
            """Replicate counts of patients in the cells ``(R, Y, status)`` where ``f`` holds."""
            return m[:, [j for j, key in enumerate(keys) if f(*key)]].sum(axis=1)

        latent = sel(lambda R, Y, s: Y == 1)
        obs = sel(lambda R, Y, s: Y == 1 and s == "complete")
        comp = sel(lambda R, Y, s: s == "complete")
        if design.higher_is_better:
            nri = obs
        else:
            nri = obs + (arm.n - comp)
        switched = (
            sel(lambda R, Y, s: R == 0 and s != "early") if arm.switch is not None
            else np.zeros(n_reps, dtype=np.int64)
        )
        for key, v in (("latent", latent), ("nri", nri), ("obs", obs), ("comp", comp),
                       ("switched", switched)):
            out[key].append(v)
    col = {k: np.column_stack(v) for k, v in out.items()}
    return BinaryCounts(
        arm_names=tuple(design.arm_names), totals=np.asarray(design.n_per_arm),
        events_latent=col["latent"], events_nri=col["nri"], events_observed=col["obs"],
        completers=col["comp"], switched=col["switched"],
    )


def _covariates(g: np.random.Generator, latent: np.ndarray) -> dict[str, np.ndarray]:
    """Baseline covariates whose distribution depends on the latent outcome (marginals unchanged).

    age ~ N(41, 11) clipped to 18-75 (whole years); sex female with probability 0.65; baseline
    HAM-D-17 ~ N(21 - 2.5 * Y, 3.5) rounded and clipped to 14-35: less severe patients remit more
    often, so adjusting for ``baseline_hamd`` gains precision.
    """
    n = len(latent)
    z = g.standard_normal((n, 2))
    u = g.random(n)
    age = np.clip(np.round(41 + 11 * z[:, 0]), 18, 75).astype(int)
    sex = np.where(u < 0.65, "female", "male")
    hamd = np.clip(np.round(21 - 2.5 * latent + 3.5 * z[:, 1]), 14, 35).astype(int)
    return {"age": age, "sex": sex, "baseline_hamd": hamd}


def simulate_binary(design: BinaryDesign, *, rng=None, covariates: bool = False,
                    exact_counts: bool = False) -> pd.DataFrame:
    """Simulate one binary-outcome trial as a tidy patient-level DataFrame.

    Parameters
    ----------
    design : BinaryDesign
    rng : numpy Generator, int seed or None
    covariates : bool, default False
        Add baseline ``age``, ``sex`` and ``baseline_hamd`` (HAM-D-17; lower scores go with
        remission; see Notes).
    exact_counts : bool, default False
        Fix the number of patients with ``outcome_nri = 1`` in each arm at the expected count
        ``round(n * rate_nri)`` (see :meth:`BinaryDesign.expected_rates`), so the data reproduce
        published rates exactly; which patients have the outcome, drop out or respond at stage 1
        stays random. The number of drop-outs is also fixed, at ``round(n * dropout)`` (at most
        the number of patients imputed as failures, among whom they are drawn). Used for
        ``synthetic_data/``.

    Returns
    -------
    pandas.DataFrame
        One row per patient in arm order, columns:

        - ``id`` (1..N), ``arm`` (arm name),
        - ``stage1_response``: 1/0 response at the stage-1 assessment of a two-stage arm; NaN in
          single-stage arms and for patients who dropped out before it,
        - ``switched``: whether the patient switched treatment (stage-1 non-responder),
        - ``dropped_out``, ``dropout_week`` (NaN for completers),
        - ``outcome_latent``: 0/1 outcome the patient would have had (kept for checking; not
          observed after drop-out),
        - ``outcome``: observed 0/1 outcome, NaN when missing,
        - ``outcome_nri``: 0/1 outcome with a missing one counted as a treatment failure,
        - with ``covariates``: ``age``, ``sex``, ``baseline_hamd``.

    Notes
    -----
    Covariates are drawn given the latent outcome, which leaves the outcome rates untouched.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> df = simulate_binary(load_design("t3").with_dropout(0.1), rng=2024)
    >>> df.groupby("arm", sort=False).size().to_dict()
    {'pdt': 51, 'sertraline': 52, 'placebo': 53}
    >>> list(df.columns)
    ['id', 'arm', 'stage1_response', 'switched', 'dropped_out', 'dropout_week', 'outcome_latent', 'outcome', 'outcome_nri']
    >>> exact = simulate_binary(load_design("t4"), rng=1, exact_counts=True)
    >>> exact.groupby("arm", sort=False)["outcome_nri"].sum().to_dict()
    {'pdt': 14, 'fluoxetine': 18}
    """  # noqa: E501 - the expected column list above is printed on one line
    design = _check_design(design)
    if not isinstance(covariates, bool) or not isinstance(exact_counts, bool):
        raise InvalidParameterError("`covariates` and `exact_counts` must be True or False.")
    gen = as_generator(rng)
    if exact_counts:
        cols = _exact(design, gen)
    else:
        sims = simulate_binary_arrays(design, 1, rng=gen)
        cols = {
            "stage1_response": sims.stage1_response[0],
            "switched": sims.switched[0],
            "dropped_out": sims.dropped_out[0],
            "dropout_week": sims.dropout_week[0],
            "outcome_latent": sims.outcome_latent[0],
        }
    latent = cols["outcome_latent"].astype(int)
    dropped = cols["dropped_out"].astype(bool)
    fail = 0 if design.higher_is_better else 1
    df = pd.DataFrame(
        {
            "id": np.arange(1, design.n_total + 1),
            "arm": np.repeat(np.asarray(design.arm_names, dtype=object), design.n_per_arm),
            "stage1_response": cols["stage1_response"].astype(float),
            "switched": cols["switched"].astype(bool),
            "dropped_out": dropped,
            "dropout_week": cols["dropout_week"].astype(float),
            "outcome_latent": latent,
            "outcome": np.where(dropped, np.nan, latent.astype(float)),
            "outcome_nri": np.where(dropped, fail, latent).astype(int),
        }
    )
    if covariates:
        # a stream of its own, spawned after the outcome streams: covariates never shift outcomes
        g_cov = gen.spawn(1)[0]
        for name, values in _covariates(g_cov, latent).items():
            df[name] = values
    return df


def _round_half_up(v: float) -> int:
    return int(math.floor(v + 0.5 + 1e-9))


def _exact(design: BinaryDesign, gen: np.random.Generator) -> dict[str, np.ndarray]:
    """Patient columns with the expected number of NRI events in each arm."""
    good = design.higher_is_better
    T = design.endpoint_week
    pieces: dict[str, list[np.ndarray]] = {
        k: [] for k in ("stage1_response", "switched", "dropped_out", "dropout_week",
                        "outcome_latent")}
    for g, arm in zip(gen.spawn(len(design.arms)), design.arms, strict=True):
        n, p, d = arm.n, arm.p, design.arm_dropout(arm)
        assert p is not None  # set for every constructed arm
        rate_nri = p * (1 - d) + (0.0 if good else d)
        x = min(n, _round_half_up(n * rate_nri))
        latent = np.zeros(n, dtype=bool)
        dropped = np.zeros(n, dtype=bool)
        order = g.permutation(n)
        if good:  # events are completers with Y = 1; drop-outs among the rest
            nd = min(n - x, _round_half_up(n * d))
            latent[order[:x]] = True
            drop_idx = order[x:x + nd]
        else:  # events are completers with Y = 1 plus all drop-outs
            nd = min(x, _round_half_up(n * d))
            drop_idx = order[:nd]
            latent[order[nd:x]] = True
        dropped[drop_idx] = True
        latent[drop_idx] = g.random(nd) < p  # unobserved latent outcome of the drop-outs
        dweek = np.where(dropped, g.random(n) * T, np.nan)
        if arm.switch is not None:
            rule = arm.switch
            r, a = rule.response, rule.remission_responders
            p_r_y1 = r * a / p if p > 0 else 0.0
            p_r_y0 = r * (1 - a) / (1 - p) if p < 1 else 0.0
            resp = g.random(n) < np.where(latent, p_r_y1, p_r_y0)
            early = dropped & (dweek < rule.response_week)
            stage1 = np.where(early, np.nan, resp.astype(float))
            switched = ~resp & ~early
        else:
            stage1 = np.full(n, np.nan)
            switched = np.zeros(n, dtype=bool)
        for key, v in (("stage1_response", stage1), ("switched", switched),
                       ("dropped_out", dropped), ("dropout_week", dweek),
                       ("outcome_latent", latent)):
            pieces[key].append(v)
    return {k: np.concatenate(v) for k, v in pieces.items()}
