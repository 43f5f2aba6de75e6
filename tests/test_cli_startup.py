"""What the command line imports before it answers: each verb loads only what it needs.

A behaviour check, not a timing check: ``python -X importtime`` lists every module a fresh process
imports, and the closed-form power verbs must not load pandas, scipy.stats or the plotting and
modelling libraries (their import alone costs more than the whole answer). The whole-process
timings are in ``benchmarks/cli_startup.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

#: modules none of the commands below may import
HEAVY = ("pandas", "scipy.stats", "matplotlib", "seaborn", "lifelines", "statsmodels",
         "papermill", "dask")


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules a fresh ``python -X importtime -m workbench ARGS`` imports, and the process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "workbench", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    modules.discard("package")  # the header line
    return modules, proc


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules
                  if m in HEAVY or m.split(".")[0] in HEAVY or m.startswith("scipy.stats."))


@pytest.mark.parametrize("args", [
    ("--help",),
    ("power", "--help"),
    ("power", "rates", "--p1", "0.3", "--p2", "0.5", "--power", "0.8", "--json"),
    ("power", "rates", "--p1", "0.3", "--p2", "0.5", "--n1", "50", "--n2", "50", "--json"),
    ("power", "survival", "--hazard-ratio", "0.7", "--power", "0.8", "--json"),
    ("power", "survival", "--hazard-ratio", "0.7", "--events", "120", "--json"),
], ids=["help", "power-help", "rates-n", "rates-power", "survival-events", "survival-power"])
def test_light_verbs_import_no_heavy_library(args):
    modules, proc = imported_modules(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "workbench.cli" in modules  # the listing is real: it names what did run
    assert heavy_in(modules) == []
    if "--json" in args:
        assert json.loads(proc.stdout)["power"] > 0


def test_the_check_sees_a_heavy_import():
    """The same check flags pandas where a verb does need it (reading a data file)."""
    csv = ROOT / "tests" / "reference" / "data" / "ds1_maintenance_n92_ties.csv"
    modules, proc = imported_modules("survival", str(csv), "--time", "time", "--event", "event",
                                     "--group", "arm", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pandas" in heavy_in(modules)
