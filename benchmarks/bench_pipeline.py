"""Wall time of a grid of 8 small notebook runs: 2 worker processes against one after the other.

    .venv/bin/python benchmarks/bench_pipeline.py [--workers 2] [--cases 8]

Runs tests/notebooks/params_demo.ipynb (imports the workbench and pandas, records a few values)
over a grid of 8 parameter values, once serially (workers=1) and once on 2 processes, each into a
fresh folder so no case is skipped, and prints both times and their ratio (target: at most 0.6).
Each run starts its own kernel, so a notebook this small costs mostly kernel start-up; the ratio
improves with heavier notebooks. Run it on a quiet machine: other load on the cores skews it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from workbench.pipelines import load_pipeline, run_pipeline

ROOT = Path(__file__).resolve().parent.parent


def timed(cases: int, workers: int, out: Path) -> float:
    spec = {"name": "bench", "notebook": "tests/notebooks/params_demo.ipynb",
            "grid": {"n": list(range(1, cases + 1))}, "case_dir": "n{n}", "output": str(out)}
    start = time.perf_counter()
    report = run_pipeline(load_pipeline(spec=spec, root=ROOT), workers=workers, progress=False)
    seconds = time.perf_counter() - start
    assert report.exit_code == 0, report.describe()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        timed(1, 1, Path(tmp) / "warm")  # warm the file caches and imports once
        serial = timed(args.cases, 1, Path(tmp) / "serial")
        parallel = timed(args.cases, args.workers, Path(tmp) / "parallel")
    print(f"{args.cases} notebook runs: serial {serial:.1f} s, {args.workers} workers "
          f"{parallel:.1f} s, ratio {parallel / serial:.2f} (target <= 0.60)")


if __name__ == "__main__":
    main()
