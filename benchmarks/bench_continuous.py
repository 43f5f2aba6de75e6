"""Wall time of the vectorised MMRM fits and of the simulation power for continuous outcomes.

    .venv/bin/python benchmarks/bench_continuous.py [--reps 1000]

Times, for the T7- and T8-shaped designs: simulating ``--reps`` trials as arrays, fitting all
their MMRMs at once (``mmrm_arrays``), fitting the same MMRMs one data set at a time with
``mmrm`` on the first 50 replicates (scaled up, for comparison), and ``simulate_power_continuous``
end to end. Run it on a quiet machine: other load on the cores skews it.
"""

from __future__ import annotations

import argparse
import time

from workbench.analysis.continuous import mmrm, mmrm_arrays
from workbench.design import load_design
from workbench.power.continuous import simulate_power_continuous
from workbench.simulate.continuous import arrays_to_long, simulate_continuous_arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    args = parser.parse_args()
    for design in (load_design("t7"), load_design("t8")):
        t0 = time.perf_counter()
        s = simulate_continuous_arrays(design, args.reps, rng=1)
        t1 = time.perf_counter()
        out = mmrm_arrays(s.y[..., 1:], s.observed[..., 1:], s.arm, baseline=s.y[..., 0])
        t2 = time.perf_counter()
        k = min(50, args.reps)
        for rep in range(k):
            mmrm(arrays_to_long(s, design.arm_names, rep), outcome="hamd", group="arm",
                 visit="week", subject="subject", baseline="baseline")
        t3 = time.perf_counter()
        simulate_power_continuous(design, n_reps=args.reps, rng=1, progress=False)
        t4 = time.perf_counter()
        print(f"{design.name} ({design.n_total} patients, {design.n_visits} visits), "
              f"{args.reps} replicates:")
        print(f"  simulate arrays         {t1 - t0:8.3f} s")
        print(f"  MMRM, all at once       {t2 - t1:8.3f} s  ({out['converged'].mean():.1%} converged)")
        print(f"  MMRM, one by one        {(t3 - t2) * args.reps / k:8.3f} s  (from {k} fits)")
        print(f"  simulate_power (4 analyses) {t4 - t3:6.3f} s")


if __name__ == "__main__":
    main()
