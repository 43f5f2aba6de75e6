"""Whole-process time of the command line, side by side with Rscript (run on demand, not a test).

    .venv/bin/python benchmarks/cli_startup.py [--rounds 7]

Each round starts every command once as a fresh process, in turn (interleaved, so that a change
of load on the machine touches all of them alike), and the minimum over the rounds is reported:

- ``workbench --help``                                                  (target < 0.3 s)
- ``workbench power rates --p1 0.3 --p2 0.5 --power 0.8 --json``        (target < 0.6 s)
- ``workbench power survival --hazard-ratio 0.7 --power 0.8 --json``
- ``Rscript -e 'library(rpact); getSampleSizeRates(pi1 = 0.3, pi2 = 0.5, ...)'``, the same
  question in R, when ``Rscript`` and rpact are installed (skipped with a message otherwise),
  and the ratio R / workbench.

The commands run with this checkout first on ``PYTHONPATH`` and the interpreter running this
script. Timings depend on other load on the machine: quote the minimum and say which machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKBENCH = {
    "workbench --help": ["--help"],
    "workbench power rates --json": ["power", "rates", "--p1", "0.3", "--p2", "0.5", "--power",
                                     "0.8", "--json"],
    "workbench power survival --json": ["power", "survival", "--hazard-ratio", "0.7", "--power",
                                        "0.8", "--json"],
}
RPACT = ("suppressMessages(library(rpact)); "
         "x <- getSampleSizeRates(pi1 = 0.3, pi2 = 0.5, sided = 2, alpha = 0.05, beta = 0.2); "
         "cat(ceiling(x$nFixed1), '\\n')")


def run(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def rpact_command() -> list[str] | None:
    """The Rscript command, or None (with a message) when R or rpact is missing."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not found: the R comparison is skipped.")
        return None
    probe = subprocess.run([rscript, "-e", "library(rpact)"], capture_output=True)
    if probe.returncode != 0:
        print("R has no rpact: the R comparison is skipped.")
        return None
    return [rscript, "-e", RPACT]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="fresh-process rounds (default 7)")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    commands = {name: [sys.executable, "-m", "workbench", *a] for name, a in WORKBENCH.items()}
    r = rpact_command()
    if r is not None:
        commands["Rscript rpact getSampleSizeRates"] = r
    for cmd in commands.values():  # warm the file cache once
        run(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, cmd in commands.items():
            times[name].append(run(cmd, env))
    print(f"whole-process wall time, minimum (median) of {args.rounds} interleaved rounds; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    for name, ts in times.items():
        ts.sort()
        print(f"  {name:<36} {ts[0]:.3f} s  ({ts[len(ts) // 2]:.3f} s)")
    if r is not None:
        best_r = min(times["Rscript rpact getSampleSizeRates"])
        best_wb = min(times["workbench power rates --json"])
        print(f"  Rscript / workbench power rates: {best_r / best_wb:.1f}x")


if __name__ == "__main__":
    main()
