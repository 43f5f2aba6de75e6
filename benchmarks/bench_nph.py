"""Wall time of simulated power under non-proportional hazards (MaxCombo and the other NPH tests).

    .venv/bin/python benchmarks/bench_nph.py [--reps 10000]

gsDesign2's delayed-effect scenario with 460 patients (control median 12 months, hazard ratio 1
for 4 months then 0.6, accrual 18 months, analysis at month 36, drop-out hazard 0.001): the
simulation of ``--reps`` trials and each planned test on them, without the null-design replicates.
Run it on a quiet machine: other load on the cores skews it.
"""

from __future__ import annotations

import argparse
import time

from workbench.design import nph_design
from workbench.power.simulation import simulate_power


def main() -> None:
    """Time each planned test on ``--reps`` simulated trials."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10000)
    args = parser.parse_args()
    design = nph_design(control_median=12, hazard_ratios=(1, 0.6), change_times=(4,),
                        n_total=460, accrual_time=18, study_duration=36, dropout_rate=0.001)
    for test in ("logrank", "fh:0:1", "mb:12", "maxcombo", "rmst:30", "milestone:24"):
        t0 = time.perf_counter()
        res = simulate_power(design, n_reps=args.reps, test=test, alpha=0.025,
                             alternative="less", type1=False, rng=1)
        t1 = time.perf_counter()
        print(f"{test:>13}: {args.reps} replicates of N = {design.n_total} in {t1 - t0:.2f} s; "
              f"power {res.power:.4f} (MCSE {res.mcse:.4f})")


if __name__ == "__main__":
    main()
