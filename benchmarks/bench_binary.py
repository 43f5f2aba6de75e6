"""Wall time of the binary-outcome simulators and of the vectorised two-arm p-values.

    .venv/bin/python benchmarks/bench_binary.py [--reps 20000]

For each of the T2-T6 designs (10% drop-out; T2 5%): patient-level arrays of ``--reps`` trials
(``simulate_binary_arrays``), per-arm counts of ten times as many (``simulate_binary_counts``),
and chi-square p-values of all replicates at once (``two_proportion_pvalues``). Run it on a quiet
machine: other load on the cores skews it.
"""

from __future__ import annotations

import argparse
import time

from workbench.analysis.rates import two_proportion_pvalues
from workbench.design import load_design
from workbench.simulate.binary import simulate_binary_arrays, simulate_binary_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20000)
    args = parser.parse_args()
    for trial in ("T2", "T3", "T4", "T5", "T6"):
        design = load_design(trial).with_dropout(0.05 if trial == "T2" else 0.10)
        t0 = time.perf_counter()
        sims = simulate_binary_arrays(design, args.reps, rng=1)
        x, n = sims.counts("nri")
        t1 = time.perf_counter()
        counts = simulate_binary_counts(design, 10 * args.reps, rng=1)
        t2 = time.perf_counter()
        cx, cn = counts.counts("nri")
        two_proportion_pvalues(cx[:, 0], cn[:, 0], cx[:, -1], cn[:, -1])
        t3 = time.perf_counter()
        print(f"{trial} (N = {design.n_total}): arrays {args.reps} reps {t1 - t0:.2f} s; "
              f"counts {10 * args.reps} reps {t2 - t1:.2f} s; p-values {t3 - t2:.3f} s")


if __name__ == "__main__":
    main()
