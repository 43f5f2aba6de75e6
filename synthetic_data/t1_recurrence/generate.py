"""Regenerate the T1 recurrence data set in this folder, byte for byte.

    .venv/bin/python synthetic_data/t1_recurrence/generate.py [--out FOLDER]

Design: ``load_design("t1")`` (41 patients who remitted on combination therapy, 51 on
pharmacotherapy alone; exponential recurrence times with 27% and 47% recurrence by 48 months;
uniform accrual over 24 months; every patient followed up to 48 months; 10% lost to follow-up by
48 months).

Calibration: seeds 1, 2, 3, ... are tried in turn and the first whose Kaplan-Meier cumulative
recurrence at 48 months is within 0.01 of the published 27% and 47% in both arms is kept, so the
data set tells the published story while remaining an honest draw from the design.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from workbench import SurvivalDesign, load_design, simulate_trial
from workbench.simulate.export import write_survival_dataset

TARGETS = {"combination": 0.27, "pharmacotherapy": 0.47}
HORIZON = 48.0
TOLERANCE = 0.01
MAX_SEED = 10_000


def km_cumulative_incidence(time: np.ndarray, event: np.ndarray, horizon: float) -> float:
    """1 - Kaplan-Meier survival at ``horizon`` (product over distinct event times)."""
    s = 1.0
    for t in np.unique(time[(event == 1) & (time <= horizon)]):
        at_risk = np.sum(time >= t)
        s *= 1.0 - np.sum((time == t) & (event == 1)) / at_risk
    return 1.0 - s


def calibrated(design: SurvivalDesign):
    for seed in range(1, MAX_SEED + 1):
        df = simulate_trial(design, rng=seed)
        ok = True
        for arm, target in TARGETS.items():
            sub = df[df["arm"] == arm]
            ci = km_cumulative_incidence(sub["time"].to_numpy(), sub["event"].to_numpy(), HORIZON)
            ok &= abs(ci - target) <= TOLERANCE
        if ok:
            return seed, df
    raise RuntimeError(f"no seed up to {MAX_SEED} reproduces the published rates")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent))
    args = parser.parse_args(argv)
    design = load_design("t1")
    seed, df = calibrated(design)
    paths = write_survival_dataset(df, args.out, design=design, seed=seed, studyid="T1")
    print(f"seed {seed}; wrote " + ", ".join(sorted(p.name for p in paths.values())))


if __name__ == "__main__":
    main()
