"""The simulation engine against its floor and its anchors, measured in one run.

    .venv/bin/python benchmarks/engine.py            # the full set (a few minutes)
    .venv/bin/python benchmarks/engine.py --quick    # tiny sizes, one round: checks it runs

Every timing runs in a fresh process (imports excluded, the simulation itself timed), the cases
interleaved round by round, and the minimum over ``--rounds`` rounds is kept: the minimum is the
figure least disturbed by other load on the machine. Printed:

1. simulated power of the benchmark trial (two arms of 74, 27% vs 47% events by 48 months,
   accrual 24 months, calendar end at month 72; log-rank, no null run) with ``--reps``
   replicates: the library with its defaults, with ``WORKBENCH_MALLOC_TUNING=1``, and the NumPy
   floor (``benchmarks/floor.py``: the same model drawn, sorted and tested in blocks of 500 with
   nothing else), and their ratio;
2. the 3-look group-sequential simulation (150 patients, looks at 22, 44 and 65 events, rpact's
   model: no follow-up limit);
3. rpact's ``getSimulationSurvival`` for both where ``Rscript`` and rpact are installed (else a
   line saying it is skipped), and a loop over lifelines' ``logrank_test`` (extrapolated from a
   few hundred calls) where lifelines is installed;
4. time and peak resident memory from 1e3 to 1e6 replicates (N = 148) and for N from 148 to
   10,000 (``--scale-reps`` replicates), with ``workers=None`` (both cores from 20 million
   patient-replicates on), and 1e6 replicates serial and on two workers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - not Linux


def _trial(n_total: int):
    from workbench.design import SurvivalDesign

    return SurvivalDesign.from_probabilities(
        {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=n_total,
        accrual_time=24, follow_up=48, follow_up_type="calendar")


def child(spec: dict) -> None:
    """One case in this (fresh) process; prints one JSON line."""
    kind = spec["kind"]
    if kind == "floor":
        sys.path.insert(0, str(HERE))
        from floor import floor_power

        t0, c0 = time.perf_counter(), time.process_time()
        power = floor_power(spec["reps"], spec["n"])
    elif kind == "power":
        from workbench.power.simulation import simulate_power

        design = _trial(spec["n"])
        t0, c0 = time.perf_counter(), time.process_time()
        power = simulate_power(design, n_reps=spec["reps"], type1=False, rng=1, progress=False,
                               workers=spec.get("workers")).power
    elif kind == "sequential":
        import workbench as wb

        gsd = wb.group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
        trial = wb.SurvivalDesign.from_probabilities(
            {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=150, accrual_time=24)
        simulate = wb.simulate_survival_sequential  # resolve the lazy import before timing
        t0, c0 = time.perf_counter(), time.process_time()
        power = simulate(gsd, trial, events=[22, 44, 65],
                         n_reps=spec["reps"], rng=1, progress=False,
                         censor_at_follow_up=False).power
    else:  # pragma: no cover - internal
        raise SystemExit(f"unknown case {kind}")
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                      "power": power, "peak_rss_mib": _peak_rss_mib()}))


def run_case(spec: dict, env_extra: dict | None = None) -> dict:
    """Run one case in a fresh process and return its JSON line."""
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_MALLOC_TUNING"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                          json.dumps(spec)], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def interleaved(cases: dict[str, tuple[dict, dict | None]], rounds: int) -> dict[str, dict]:
    """Minimum seconds (and CPU) of each case over ``rounds`` interleaved fresh-process rounds."""
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for name, (spec, env) in cases.items():
            r = run_case(spec, env)
            cpu = min(r["cpu"], best[name]["cpu"]) if name in best else r["cpu"]
            if name not in best or r["seconds"] < best[name]["seconds"]:
                best[name] = r
            best[name]["cpu"] = cpu
    return best


def rpact_seconds(reps: int, looks: int) -> float | None:
    """rpact's getSimulationSurvival time in a fresh Rscript, or None when R/rpact is absent."""
    if shutil.which("Rscript") is None:
        return None
    design = ("getDesignGroupSequential(kMax = 3, typeOfDesign = 'asOF', sided = 1, alpha = 0.025)"
              if looks == 3 else "getDesignGroupSequential(kMax = 1, sided = 2, alpha = 0.05)")
    events = "c(22, 44, 65)" if looks == 3 else "100000"
    code = (f"suppressMessages(library(rpact)); d <- {design}; t0 <- Sys.time(); "
            f"x <- getSimulationSurvival(d, pi1 = 0.27, pi2 = 0.47, eventTime = 48, "
            f"accrualTime = 24, maxNumberOfSubjects = {150 if looks == 3 else 148}, "
            f"plannedEvents = {events}, directionUpper = FALSE, "
            f"maxNumberOfIterations = {reps}, seed = 1); "
            "cat(as.numeric(Sys.time() - t0, units = 'secs'))")
    try:
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
        return float(out.stdout.strip().split()[-1])
    except (subprocess.CalledProcessError, ValueError):
        return None


def lifelines_seconds(reps: int, calls: int) -> float | None:
    """A Python loop over lifelines' logrank_test, extrapolated to ``reps`` replicates."""
    try:
        from lifelines.statistics import logrank_test
    except ImportError:
        return None
    from workbench.simulate.survival import simulate_survival_arrays

    sims = simulate_survival_arrays(_trial(148), calls, rng=2)
    g = sims.arm == 0
    t0 = time.perf_counter()
    for i in range(calls):
        t, e = sims.time[i], sims.event[i]
        logrank_test(t[g], t[~g], e[g], e[~g])
    return (time.perf_counter() - t0) / calls * reps


def _row(cells, widths):
    return "  ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))


def main(argv=None) -> None:
    """Run the cases and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and one round: a check that everything runs")
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scale-reps", type=int, default=10_000,
                        help="replicates of the rows over N")
    parser.add_argument("--scale-rounds", type=int, default=3,
                        help="rounds of each row of the scale table (the minimum is printed)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(json.loads(args.child))
        return
    if args.quick:
        args.reps, args.rounds, args.scale_reps, args.scale_rounds = 1000, 1, 1000, 1
        reps_grid, n_grid, million = [1000, 2000], [148, 300], 4000
    else:
        reps_grid, n_grid, million = [1000, 10_000, 100_000, 1_000_000], [148, 1000, 10_000], 10**6

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; "
          f"Python {sys.version.split()[0]}; minimum of {args.rounds} interleaved fresh-process "
          "round(s)\n")
    # 1 and 2: floor, engine, tuned, sequential
    n = args.reps
    best = interleaved({
        "floor": ({"kind": "floor", "reps": n, "n": 148}, None),
        "engine": ({"kind": "power", "reps": n, "n": 148}, None),
        "engine, WORKBENCH_MALLOC_TUNING=1": ({"kind": "power", "reps": n, "n": 148},
                                              {"WORKBENCH_MALLOC_TUNING": "1"}),
        "3-look sequential": ({"kind": "sequential", "reps": n}, None),
    }, args.rounds)
    floor = best["floor"]["seconds"]
    rp_fixed, rp_seq = rpact_seconds(n, 1), rpact_seconds(n, 3)
    ll = lifelines_seconds(n, min(200, n))
    widths = (36, 10, 10, 10, 14)
    print(f"{n:,} replicates, N = 148 (sequential: N = 150, 3 looks)")
    print(_row(("case", "seconds", "CPU s", "x floor", "power"), widths))
    for name, r in best.items():
        print(_row((name, f"{r['seconds']:.4f}", f"{r['cpu']:.4f}",
                    f"{r['seconds'] / floor:.2f}", f"{r['power']:.4f}"), widths))
    eng, seq = best["engine"]["seconds"], best["3-look sequential"]["seconds"]
    if rp_fixed is None or rp_seq is None:
        print("rpact: skipped (Rscript or rpact is not installed here)")
    else:
        print(f"rpact getSimulationSurvival: fixed {rp_fixed:.3f} s ({rp_fixed / eng:.1f}x the "
              f"engine), 3 looks {rp_seq:.3f} s ({rp_seq / seq:.1f}x)")
    if ll is None:
        print("lifelines: skipped (not installed)")
    else:
        print(f"lifelines logrank_test loop (extrapolated): {ll:.2f} s ({ll / eng:,.0f}x the "
              "engine)")

    # 4: scale
    print(f"\ntime and peak memory (fresh process each, minimum of {args.scale_rounds} "
          "round(s); workers=None is auto)")
    widths2 = (10, 7, 9, 10, 10, 14)
    print(_row(("replicates", "N", "workers", "seconds", "CPU s", "peak RSS MiB"), widths2))
    rows = [(r, 148, None) for r in reps_grid]
    rows += [(args.scale_reps, m, None) for m in n_grid if m != 148]
    rows += [(million, 148, 1), (million, 148, 2)]
    for reps, m, w in rows:
        spec = {"kind": "power", "reps": reps, "n": m, "workers": w}
        r = interleaved({"row": (spec, None)}, args.scale_rounds)["row"]
        print(_row((f"{reps:,}", m, "auto" if w is None else w, f"{r['seconds']:.3f}",
                    f"{r['cpu']:.3f}", f"{r['peak_rss_mib']:.0f}"), widths2))


if __name__ == "__main__":
    main()
