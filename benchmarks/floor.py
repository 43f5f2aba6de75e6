"""The NumPy floor: the least code that simulates the benchmark trial and log-rank tests it.

    .venv/bin/python benchmarks/floor.py [--reps 10000] [--n 148]

A reference for the benchmarks, not library code: the same model as the engine's benchmark case
(two arms of equal size, 27% vs 47% events by 48 months with exponential times, uniform accrual
over 24 months, calendar end at month 72, no loss to follow-up), drawn, sorted and log-rank
tested in blocks of 500 replicates, with nothing else (no validation, no seeding scheme, no
result objects, no tied-event handling: continuous times have no ties). Prints one JSON line:
the seconds of the simulation (after imports) and the rejection rate.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

BLOCK = 500
ACCRUAL, STUDY = 24.0, 72.0
HAZARDS = (-math.log(1 - 0.27) / 48, -math.log(1 - 0.47) / 48)


def floor_power(n_reps: int, n_total: int, seed: int = 1) -> float:
    """Two-sided 5% log-rank rejection rate over ``n_reps`` replicates."""
    rng = np.random.default_rng(seed)
    n1 = n_total // 2
    hazard = np.repeat(HAZARDS, (n1, n_total - n1))
    arm = np.repeat(np.array([1, 0], dtype=np.int64), (n1, n_total - n1))
    at_risk = np.arange(n_total, 0, -1, dtype=np.float64)
    rejected = 0
    for start in range(0, n_reps, BLOCK):
        size = min(BLOCK, n_reps - start)
        entry = rng.random((size, n_total)) * ACCRUAL
        event_time = rng.standard_exponential((size, n_total)) / hazard
        admin = STUDY - entry
        time_ = np.minimum(event_time, admin)
        # sort key: the time's bits, low bits = (censored, arm); events first within a tie
        key = time_.view(np.int64) & ~np.int64(3)
        key |= (event_time > admin).astype(np.int64) << 1
        key |= arm
        key.sort(axis=1)
        g = key & 1
        ev = (key & 2) == 0
        n1_at_risk = g.sum(axis=1, keepdims=True) - np.cumsum(g, axis=1) + g
        frac = n1_at_risk / at_risk
        frac[~ev] = 0.0
        o1 = np.count_nonzero(ev & (g == 1), axis=1)
        e1 = frac.sum(axis=1)
        v = (frac * (1 - frac)).sum(axis=1)
        z = (o1 - e1) / np.sqrt(v)
        rejected += int(np.count_nonzero(np.abs(z) >= 1.959963984540054))
    return rejected / n_reps


def main() -> None:
    """Time the floor once and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=148)
    args = parser.parse_args()
    t0 = time.perf_counter()
    c0 = time.process_time()
    power = floor_power(args.reps, args.n)
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                      "power": power}))


if __name__ == "__main__":
    main()
