"""Wall time of the group-sequential boundaries and of the event-driven trial simulation.

    .venv/bin/python benchmarks/bench_sequential.py [--reps 10000]

Times ``group_sequential_design`` for a range of designs (alpha spending, classical boundaries,
beta-spending futility, up to 20 looks) and ``simulate_survival_sequential`` for the rpact
reference trial (150 patients, looks at 22, 44 and 65 events) with ``--reps`` replicates, with
rpact's own timing of ``getSimulationSurvival`` from tests/reference/group_sequential.json beside
it. Run it on a quiet machine: other load on the cores skews it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from workbench.design import SurvivalDesign
from workbench.power.sequential import group_sequential_design, simulate_survival_sequential

DESIGNS = [
    dict(kmax=3, type_of_design="asOF"),
    dict(kmax=3, type_of_design="OF"),
    dict(kmax=3, type_of_design="asOF", futility="bsOF"),
    dict(kmax=3, type_of_design="asOF", futility="bsOF", binding=True),
    dict(kmax=5, type_of_design="asHSD", gamma=-4, futility="bsP"),
    dict(kmax=10, type_of_design="asOF"),
    dict(kmax=20, type_of_design="OF"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10000)
    args = parser.parse_args()
    for kw in DESIGNS:
        t0 = time.perf_counter()
        group_sequential_design(**kw)
        print(f"design {kw}: {time.perf_counter() - t0:.3f} s")
    design = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    trial = SurvivalDesign.from_probabilities({"combination": 0.27, "pharmacotherapy": 0.47},
                                              at=48, n_total=150, accrual_time=24)
    for entry in ("uniform", "grid"):
        t0 = time.perf_counter()
        simulate_survival_sequential(design, trial, events=[22, 44, 65], n_reps=args.reps,
                                     entry=entry, rng=1, censor_at_follow_up=False)  # as rpact
        print(f"simulation, {args.reps} replicates, {entry} entry: "
              f"{time.perf_counter() - t0:.2f} s")
    ref = json.loads((Path(__file__).resolve().parents[1] / "tests" / "reference"
                      / "group_sequential.json").read_text())
    timing = [c for c in ref["cases"] if "timing" in c][0]["timing"]
    print(f"rpact getSimulationSurvival, 10000 iterations: median {timing['elapsed_s_median']} s "
          f"({timing['machine'].get('cpu_model')})")


if __name__ == "__main__":
    main()
