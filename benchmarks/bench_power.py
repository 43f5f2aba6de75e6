"""Speed and memory of simulation power (run on demand, not a test).

    .venv/bin/python benchmarks/bench_power.py [--reps 10000] [--memory-reps 1000000]

The rpact reference scenario: 27% vs 47% recurrence by 48 months (exponential), 148 patients
(74 per arm), uniform accrual over 24 months, follow-up 48 months after the end of accrual.

1. ``simulate_power`` with the log-rank test, ``--reps`` replicates simulated and tested (no
   type I error run): best and median of several runs after a warm-up, in fresh processes with
   the library's defaults and with ``WORKBENCH_MALLOC_TUNING=1`` (glibc keeps freed memory for
   the next block; see :mod:`workbench.power.simulation`). Target < 0.1 s for 10,000 with the
   defaults.
2. The same replicates tested by a Python loop over lifelines' ``logrank_test`` (200 calls timed
   and extrapolated), and the ratio.
3. The Cox Wald path against a loop over lifelines' ``CoxPHFitter`` (30 fits timed and
   extrapolated). Target >= 50x.
4. Peak memory of 1,000,000 replicates in a fresh process (peak resident set size, and the peak
   of memory traced by ``tracemalloc``, which numpy reports to). Target < 1 GiB.
5. rpact's own timing of getSimulationSurvival for 10,000 iterations of a similar trial
   (tests/reference/group_sequential.json; another machine, three looks) for scale.

Timings depend on other load on the machine; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def scenario():
    from workbench.design import SurvivalDesign

    return SurvivalDesign.from_probabilities(
        {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=148, accrual_time=24,
        follow_up=48, follow_up_type="calendar")


def timed(fn, repeats: int):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def _peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM; unlike ru_maxrss it is not inherited from
    the parent across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(n_reps: int) -> None:
    """Run in a fresh process: peak RSS and traced peak of ``n_reps`` replicates."""
    import tracemalloc

    from workbench.power.simulation import simulate_power

    design = scenario()
    base = _peak_rss_kib()
    tracemalloc.start()
    t0 = time.perf_counter()
    res = simulate_power(design, n_reps=n_reps, type1=False, rng=1, progress=False)
    elapsed = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _peak_rss_kib()
    print(json.dumps({"peak_rss_kib": peak, "rss_before_kib": base,
                      "traced_peak_bytes": traced_peak,
                      "seconds": elapsed, "power": res.power, "mcse": res.mcse}))


def engine_child(n_reps: int, repeats: int) -> None:
    """Run in a fresh process: best and median time of ``simulate_power`` (log-rank)."""
    from workbench.power.simulation import simulate_power

    design = scenario()
    best, med = timed(lambda: simulate_power(design, n_reps=n_reps, type1=False, rng=1),
                      repeats)
    cpu0 = time.process_time()
    res = simulate_power(design, n_reps=n_reps, type1=False, rng=1)
    cpu = time.process_time() - cpu0
    print(json.dumps({"best": best, "median": med, "cpu": cpu, "power": res.power,
                      "mcse": res.mcse}))


def _engine_run(n_reps: int, repeats: int, tuned: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_MALLOC_TUNING"}
    if tuned:
        env["WORKBENCH_MALLOC_TUNING"] = "1"
    out = subprocess.run([sys.executable, __file__, "--engine-child", str(n_reps),
                          "--repeats", str(repeats)],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--memory-reps", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--engine-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        memory_child(args.child)
        return
    if args.engine_child is not None:
        engine_child(args.engine_child, args.repeats)
        return

    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    from workbench.kernels.replicates import cox_arrays, logrank_arrays
    from workbench.power.simulation import simulate_power
    from workbench.simulate.survival import simulate_survival_arrays

    design = scenario()
    n = args.reps
    print(f"scenario: {design.n_per_arm} patients, accrual 24, follow-up 48 after accrual; "
          f"{n:,} replicates\n")

    # 1. the vectorised engine, simulation and log-rank test, in fresh processes
    runs = {tuned: _engine_run(n, args.repeats, tuned) for tuned in (False, True)}
    for tuned, r in runs.items():
        label = ("with WORKBENCH_MALLOC_TUNING=1" if tuned
                 else "library defaults              ")
        print(f"workbench simulate_power (log-rank), simulate + test, {label}: "
              f"best {r['best'] * 1e3:.1f} ms, median {r['median'] * 1e3:.1f} ms "
              f"(CPU {r['cpu'] * 1e3:.1f} ms)   [target < 100 ms for 10,000]  "
              f"power {r['power']:.4f} (MCSE {r['mcse']:.4f})")
    best = runs[False]["best"]
    sims = simulate_survival_arrays(design, n, rng=2)
    g = sims.arm == 0
    sim_best, _ = timed(lambda: simulate_survival_arrays(design, n, rng=2), 3)
    test_best, _ = timed(lambda: logrank_arrays(sims.time, sims.event, g), 5)
    print(f"  of which, in one {n:,}-row batch: simulation {sim_best * 1e3:.1f} ms, "
          f"log-rank {test_best * 1e3:.1f} ms")

    # 2. a loop over lifelines' logrank_test
    k = min(200, n)
    t0 = time.perf_counter()
    for i in range(k):
        t, e = sims.time[i], sims.event[i]
        logrank_test(t[g], t[~g], e[g], e[~g])
    per_call = (time.perf_counter() - t0) / k
    loop = per_call * n
    print(f"lifelines logrank_test loop: {per_call * 1e3:.2f} ms per call -> {loop:.1f} s for "
          f"{n:,} (extrapolated from {k})")
    print(f"  ratio: lifelines loop / workbench (simulate + test) = {loop / best:,.0f}x; "
          f"test only = {loop / test_best:,.0f}x")

    # 3. the Cox path
    cbest, cmed = timed(lambda: simulate_power(design, n_reps=n, type1=False, test="cox", rng=1),
                        max(3, args.repeats // 2))
    ctest, _ = timed(lambda: cox_arrays(sims.time, sims.event, g), 3)
    k = 30
    import pandas as pd

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(k):
            df = pd.DataFrame({"time": sims.time[i], "event": sims.event[i].astype(int),
                               "arm": g.astype(int)})
            CoxPHFitter().fit(df, "time", "event")
    per_fit = (time.perf_counter() - t0) / k
    cloop = per_fit * n
    print(f"\nworkbench simulate_power (Cox Wald, Efron): best {cbest * 1e3:.1f} ms, median "
          f"{cmed * 1e3:.1f} ms; Cox fits alone {ctest * 1e3:.1f} ms")
    print(f"lifelines CoxPHFitter loop: {per_fit * 1e3:.1f} ms per fit -> {cloop:.1f} s for {n:,} "
          f"(extrapolated from {k})")
    print(f"  ratio: lifelines loop / workbench = {cloop / cbest:,.0f}x (simulate + test); "
          f"{cloop / ctest:,.0f}x (fits only)   [target >= 50x]")

    # 4. memory for many replicates, in a fresh process
    out = subprocess.run([sys.executable, __file__, "--child", str(args.memory_reps)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n{args.memory_reps:,} replicates in a fresh process: {m['seconds']:.2f} s; peak "
          f"resident memory {m['peak_rss_kib'] / 1024:.0f} MiB (of which "
          f"{m['rss_before_kib'] / 1024:.0f}"
          f" MiB after imports); peak traced allocations {m['traced_peak_bytes'] / 2**20:.1f} MiB"
          f"   [target < 1024 MiB]; power {m['power']:.4f} (MCSE {m['mcse']:.5f})")

    # 5. rpact, for scale
    ref = json.loads((ROOT / "tests" / "reference" / "group_sequential.json").read_text())
    for case in ref["cases"]:
        if "timing" in case and "10000iter" in case["id"]:
            t = case["timing"]["elapsed_s_median"]
            print(f"\nrpact getSimulationSurvival, 10,000 iterations of the 150-patient trial with "
                  f"three looks (its machine, {case['timing']['machine']['cpu_model']}): {t:.3f} s "
                  f"-> workbench single-look log-rank is {t / best:,.0f}x faster")
    np.random.default_rng()  # keep numpy imported for the child's parity


if __name__ == "__main__":
    main()
