"""Whole-process time and peak memory of ``workbench survival`` on a registry-sized CSV, beside R.

    .venv/bin/python benchmarks/survival_scale.py [--rows 1000000] [--runs 3] [--keep]

Writes a CSV of ``--rows`` patients (two arms, continuous exponential times with censoring,
seed 1) under ``output/benchmarks/`` and runs, as separate processes, ``workbench survival DATA
--time time --event event --group arm --json`` and, when ``Rscript`` is on the PATH, the same
analysis in R (``read.csv``, ``survdiff``, ``coxph``, ``survfit`` with its summary at five times,
and the RMST from ``print(fit, rmean = "common")``). Each is run ``--runs`` times; the minimum
wall time, the minimum CPU time (user + system, less sensitive to other load on the machine) and
the peak resident memory (``resource.getrusage(RUSAGE_CHILDREN)`` read in a fresh child per run,
so it is the command's own peak) are printed. Without R the R half is skipped with a message.
Run it on a quiet machine: other load on the cores slows both sides.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

R_SCRIPT = r"""
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
print(survdiff(Surv(time, event) ~ arm, data = d))
print(summary(coxph(Surv(time, event) ~ arm, data = d)))
fit <- survfit(Surv(time, event) ~ arm, data = d)
print(summary(fit, times = c(6, 12, 24, 36, 48)))
print(fit, rmean = "common")
"""

# a child that runs a command and reports its wall time and its own peak resident memory
MEASURE = r"""
import resource, subprocess, sys, time, json
start = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "seconds": seconds, "cpu": use.ru_utime + use.ru_stime,
                  "peak_mib": use.ru_maxrss / 1024}))
"""


def write_data(path: Path, rows: int, seed: int = 1) -> None:
    """Two arms, exponential event times (hazard ratio 0.8), uniform censoring; 6 decimals."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, rows)
    hazard = np.where(arm == 1, 0.8, 1.0) * np.log(2) / 12
    t_event = rng.exponential(1 / hazard)
    t_cens = rng.uniform(1, 60, rows)
    pd.DataFrame({
        "time": np.round(np.minimum(t_event, t_cens), 6),
        "event": (t_event <= t_cens).astype(int),
        "arm": np.where(arm == 1, "experimental", "control"),
    }).to_csv(path, index=False)


def measure(cmd: list[str]) -> dict:
    """Wall seconds and peak MiB of one process running ``cmd``."""
    import json

    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True,
                         check=True)
    res = json.loads(out.stdout)
    if res["rc"] != 0:
        raise SystemExit(f"{cmd[0]} exited with {res['rc']}")
    return res


def best(cmd: list[str], runs: int) -> tuple[float, float, float]:
    """The minimum wall time and CPU time (user + system) over ``runs`` runs, the largest peak."""
    results = [measure(cmd) for _ in range(runs)]
    return (min(r["seconds"] for r in results), min(r["cpu"] for r in results),
            max(r["peak_mib"] for r in results))


def main() -> None:
    """Write the data (once), time both sides and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the CSV and the R script")
    args = parser.parse_args()
    folder = ROOT / "output" / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"survival_{args.rows}.csv"
    if not data.exists():
        write_data(data, args.rows)
    env_python = [sys.executable, "-m", "workbench"]
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    wb_cmd = [*env_python, "survival", str(data), "--time", "time", "--event", "event",
              "--group", "arm", "--json"]
    seconds, cpu, mib = best(wb_cmd, args.runs)
    print(f"{args.rows} rows, minimum of {args.runs} runs (whole process; wall and CPU seconds):")
    print(f"  workbench survival  {seconds:7.2f} s  {cpu:7.2f} s CPU  {mib:7.0f} MiB peak")
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("  R                   skipped: Rscript is not on the PATH")
    else:
        script = folder / "survival_scale.R"
        script.write_text(R_SCRIPT)
        r_seconds, r_cpu, r_mib = best([rscript, str(script), str(data)], args.runs)
        print(f"  R survival          {r_seconds:7.2f} s  {r_cpu:7.2f} s CPU  "
              f"{r_mib:7.0f} MiB peak")
        print(f"  ratio workbench / R {seconds / r_seconds:7.2f}")
        if not args.keep:
            script.unlink()
    if not args.keep:
        data.unlink()


if __name__ == "__main__":
    main()
