"""Simulation of trials with a repeatedly measured HAM-D outcome, vectorised over replicates.

:func:`simulate_continuous_arrays` draws many replicates at once as ``(n_reps, n, n_visits)``
arrays; :func:`simulate_continuous` draws one trial from the same code and returns it in long
format (one row per patient and scheduled visit).

Random numbers: each arm has two independent streams (``Generator.spawn``), one for the scores and
one for drop-out, drawn patient by patient (arrays of shape ``(n, n_reps, ...)``), so the first
``n`` patients of an arm get the same numbers whatever the arm's size (common random numbers
across sample sizes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import as_generator, check_int, type_name
from ..design import load_design
from ..design.continuous import ContinuousDesign
from ..design.draws import ContinuousArrays, draw_continuous
from ..exceptions import InvalidParameterError

__all__ = [
    "ContinuousArrays",
    "simulate_continuous",
    "simulate_continuous_arrays",
    "arrays_to_long",
    "CONTINUOUS_DICTIONARY",
    "DATASET_SEEDS",
    "make_continuous_dataset",
    "write_continuous_datasets",
]

#: column -> (type, description) of the long data from :func:`simulate_continuous`
CONTINUOUS_DICTIONARY: dict[str, tuple[str, str]] = {
    "subject": ("integer", "Patient number, 1..n, control arm first"),
    "arm": ("string", "Randomised arm (the name given in the design)"),
    "visit": ("integer", "Visit number, 0 = baseline"),
    "week": ("float", "Scheduled week of the visit"),
    "baseline": ("integer", "HAM-D-17 total at baseline (visit 0), repeated on every row"),
    "hamd": ("integer or empty", "HAM-D-17 total (0-52) at the visit; empty after drop-out"),
    "dropped_out": ("0/1", "1 = the visit is missing because the patient had left the trial"),
    "remission": ("0/1 or empty",
                  "1 = HAM-D <= remission threshold at the last visit; empty if the patient "
                  "left before it; the same on every row of a patient"),
}


def simulate_continuous_arrays(design: ContinuousDesign, n_reps: int, *,
                               rng=None) -> ContinuousArrays:
    """Draw ``n_reps`` replicates of a repeated-measures trial (such as HAM-D scores) at once.

    Parameters
    ----------
    design : ContinuousDesign
    n_reps : int >= 1
    rng : numpy Generator, int seed or None

    Returns
    -------
    ContinuousArrays

    Notes
    -----
    Scores are ``mean[arm] + L z`` with ``L`` the Cholesky factor of the design's covariance and
    ``z`` standard normal, rounded to the design's ``round_to`` and clipped to its ``scale``
    (when given). Drop-out is drawn visit
    by visit (a loop over the few visits, vectorised over replicates and patients): a patient still
    in at visit ``j - 1`` leaves before visit ``j`` with probability ``dropout[j - 1]`` (MCAR), or
    with log-odds shifted by ``dropout_slope`` per point of the score at visit ``j - 1`` above the
    mean of the two arms' means there (MAR).

    Examples
    --------
    >>> from workbench.design import load_design
    >>> sims = simulate_continuous_arrays(load_design("t7"), 500, rng=1)
    >>> sims.y.shape
    (500, 40, 4)
    >>> float(sims.observed[..., -1].mean()).__round__(2)   # about 0.95 ** 3
    0.86
    """
    if not isinstance(design, ContinuousDesign):
        raise InvalidParameterError(
            f"`design` must be a ContinuousDesign; got {type_name(design)}."
        )
    n_reps = check_int("n_reps", n_reps, minimum=1)
    return draw_continuous(design, n_reps, as_generator(rng))


def arrays_to_long(sims: ContinuousArrays, arm_names, rep: int = 0) -> pd.DataFrame:
    """One replicate of :class:`ContinuousArrays` as :func:`simulate_continuous`'s DataFrame."""
    rep = check_int("rep", rep, minimum=0)
    if rep >= sims.n_reps:
        raise InvalidParameterError(f"`rep` must be < n_reps = {sims.n_reps}; got {rep}.")
    y = sims.y[rep]
    obs = sims.observed[rep]
    n, k = y.shape
    names = np.asarray(arm_names, dtype=object)
    rem = np.repeat(sims.remission[rep], k)
    remission = pd.array(rem == 1, dtype="boolean")
    remission[np.isnan(rem)] = pd.NA
    return pd.DataFrame(
        {
            "subject": np.repeat(np.arange(1, n + 1), k),
            "arm": np.repeat(names[sims.arm], k),
            "visit": np.tile(np.arange(k), n),
            "week": np.tile(sims.weeks.astype(float), n),
            "baseline": np.repeat(y[:, 0], k),
            sims.outcome_column: np.where(obs, y, np.nan).ravel(),
            "dropped_out": ~obs.ravel(),
            "remission": remission,
        }
    )


def simulate_continuous(design: ContinuousDesign, *, rng=None) -> pd.DataFrame:
    """Simulate one repeated-measures trial (such as HAM-D scores) in long format.

    Parameters
    ----------
    design : ContinuousDesign
    rng : numpy Generator, int seed or None

    Returns
    -------
    pandas.DataFrame
        One row per patient and scheduled visit (``n * n_visits`` rows), columns:

        - ``subject`` (1..n, control arm first), ``arm`` (arm name),
        - ``visit`` (0 = baseline), ``week``,
        - ``baseline``: the visit-0 score, repeated on every row,
        - the score, in the column the design's ``outcome_column`` names (``hamd`` in the T7
          and T8 designs), ``nan`` after drop-out,
        - ``dropped_out``: True where the visit is missing because the patient had left,
        - ``remission`` (nullable boolean): score ``<= remission_threshold`` at the last visit,
          ``<NA>`` for patients who left before it (and for all patients when the design has no
          threshold); the same on all rows of a patient.

        The numbers are those of replicate 0 of :func:`simulate_continuous_arrays` with the same
        ``rng``.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> df = simulate_continuous(load_design("t7"), rng=7)
    >>> df.shape
    (160, 8)
    >>> list(df.columns)
    ['subject', 'arm', 'visit', 'week', 'baseline', 'hamd', 'dropped_out', 'remission']
    >>> df.groupby("arm")["subject"].nunique().to_dict()
    {'pdt': 20, 'usual_care': 20}
    """
    sims = simulate_continuous_arrays(design, 1, rng=rng)
    return arrays_to_long(sims, design.arm_names)


# --------------------------------------------------------------------------------------------
# the synthetic data sets in synthetic_data/continuous
# --------------------------------------------------------------------------------------------
#: seeds of the T7- and T8-shaped data sets: the first seed from 1 whose MMRM reproduces the
#: published direction (T7: PDT better at week 12, p < 0.05; T8: PDT better at discharge and at
#: the one-year follow-up, both p < 0.05)
DATASET_SEEDS = {"t7": 3, "t8": 1}


def _dataset_design(name: str) -> ContinuousDesign:
    """The catalogue design of a data set (``load_design("t7")`` or ``load_design("t8")``)."""
    if name not in DATASET_SEEDS:
        raise InvalidParameterError(f"`name` must be 't7' or 't8'; got {name!r}.")
    return load_design(name)


def make_continuous_dataset(name: str) -> pd.DataFrame:
    """The T7- or T8-shaped long data set of ``synthetic_data/continuous`` as written to CSV.

    Integer scores (nullable), ``dropped_out`` and ``remission`` as 0/1 (remission empty for
    patients who left before the last visit), weeks as integers.

    >>> make_continuous_dataset("t7").shape
    (160, 8)
    """
    design = _dataset_design(name)
    df = simulate_continuous(design, rng=DATASET_SEEDS[name])
    out = df.copy()
    if np.all(np.mod(out["week"], 1) == 0):
        out["week"] = out["week"].astype(int)
    out["baseline"] = out["baseline"].astype(int)
    out[design.outcome_column] = out[design.outcome_column].astype("Int64")
    out["dropped_out"] = out["dropped_out"].astype(int)
    out["remission"] = out["remission"].astype("Int64")
    return out


def write_continuous_datasets(directory, names=("t7", "t8")) -> list:
    """Write ``<name>_hamd_long.csv`` and ``<name>_design.yaml`` for each data set.

    Byte for byte reproducible. Command: ``python -m workbench.simulate.continuous
    synthetic_data/continuous``.
    """
    from pathlib import Path

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        df = make_continuous_dataset(name)
        path = out / f"{name}_hamd_long.csv"
        df.to_csv(path, index=False, lineterminator="\n")
        ypath = out / f"{name}_design.yaml"
        _dataset_design(name).to_yaml(ypath)
        paths += [path, ypath]
    return paths


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - exercised via the test
    from .export import dataset_main

    return dataset_main(write_continuous_datasets, "workbench.simulate.continuous", argv)


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main())
