"""The main job: trial T1 end to end.

:func:`run_t1_job` simulates trial T1 from its design, analyses it (Kaplan-Meier, log-rank, Cox,
RMST, cumulative recurrence), executes ``notebooks/01_recurrence_followup.ipynb`` with papermill on
the same design and seed, renders the executed notebook to HTML and writes the results as JSON and
CSV, all under one output folder::

    OUT/
      data/            patients.csv/.parquet, adsl.csv, adtte.csv, dictionary.csv, design.yaml
      01_recurrence_followup.ipynb    the executed notebook
      01_recurrence_followup.html     the report for readers: question, design, curves, tables,
                                      methods and results in words; no code
      01_recurrence_followup_figures/ the report's figures as PNG (300 dpi) and SVG files
      results.json     design, seed, the analysis and the notebook's recorded results
      results.csv      one row per comparison (log-rank, hazard ratio, RMST difference)
      km.csv           Kaplan-Meier estimates per arm at the reporting times

``python3 tasks.py run`` runs it (``workbench report t1 --out output/t1``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ._files import check_output_folder, current_umask
from ._validation import type_name
from .design import Exponential, SurvivalDesign, load_design
from .exceptions import InvalidParameterError
from .results import jsonable

__all__ = ["run_t1_job", "T1_NOTEBOOK"]

#: the notebook the job executes, relative to the project root
T1_NOTEBOOK = Path("notebooks") / "01_recurrence_followup.ipynb"
_REPORT_TIMES = (6.0, 12.0, 24.0, 36.0, 48.0)


def _project_root() -> Path:
    return Path(__file__).resolve().parents[1]


def _check_notebook_design(design) -> None:
    """Accept only designs that the notebook can rebuild exactly from its parameters.

    The notebook rebuilds the design from its parameters (arm sizes, probabilities by a horizon,
    accrual, fixed follow-up, loss to follow-up); any other design would make the notebook analyse
    another trial than the job's data.
    """
    if not isinstance(design, SurvivalDesign):
        raise InvalidParameterError(
            f"`design` must be a SurvivalDesign; got {type_name(design)}.")
    names = design.arm_names
    if names != ["combination", "pharmacotherapy"]:
        raise InvalidParameterError(
            "`design` must have the arms 'combination' and 'pharmacotherapy', in that order; "
            f"got {names}."
        )
    if design.follow_up_type != "fixed":
        raise InvalidParameterError(
            "`design.follow_up_type` must be 'fixed' for the T1 notebook; "
            f"got {design.follow_up_type!r}."
        )
    for arm in design.arms:
        if type(arm.event_time) is not Exponential or arm.cure_fraction != 0:
            raise InvalidParameterError(
                f"`arms[{arm.name}].event_time` must be exponential without a cured fraction for "
                f"the T1 notebook; got {arm.event_time.kind!r} with cure_fraction "
                f"{arm.cure_fraction:g}."
            )


def run_t1_job(out="output/t1", *, seed: int = 11, design: SurvivalDesign | None = None,
               progress: bool | None = None) -> dict[str, Path]:
    """Simulate, analyse and report trial T1; returns the paths written.

    Parameters
    ----------
    out : path-like, default "output/t1"
        Output folder; replaced atomically at the end (a failed run leaves the previous one).
    seed : int, default 11
        Seed of the simulation (the job's analysis and the notebook use the same one).
    design : SurvivalDesign, optional
        Two arms named ``combination`` and ``pharmacotherapy`` (in that order), exponential event
        times without a cured fraction and fixed follow-up, as the notebook's parameters describe
        (default: trial T1 from the design catalogue, ``load_design("t1")``).
    progress : bool, optional
        Progress bar while the notebook runs (default: only on a terminal).
    """
    from .analysis.survival import analyze_survival
    from .notebooks import read_results, run_notebook
    from .reports import build_report
    from .simulate import simulate_trial
    from .simulate.export import write_csv_atomic, write_survival_dataset

    design = design or load_design("t1")
    _check_notebook_design(design)
    notebook = _project_root() / T1_NOTEBOOK
    if not notebook.is_file():
        raise InvalidParameterError(f"the T1 notebook is missing: {notebook}")

    out = check_output_folder(out, "out", create=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    os.chmod(work, 0o777 & ~current_umask())  # mkdtemp makes it private
    try:
        df = simulate_trial(design, rng=seed)
        data = write_survival_dataset(df, work / "data", design=design, seed=seed, studyid="T1")
        horizon = min(48.0, design.max_follow_up)
        times = [t for t in _REPORT_TIMES if t <= design.max_follow_up]
        analysis = analyze_survival(df, time="time", event="event", group="arm", times=times,
                                    tau=horizon, reference="pharmacotherapy")

        by_name = {a.name: a for a in design.arms}
        parameters = {
            "n_combination": by_name["combination"].n,
            "n_pharmacotherapy": by_name["pharmacotherapy"].n,
            "p_combination": float(by_name["combination"].cdf(horizon)),
            "p_pharmacotherapy": float(by_name["pharmacotherapy"].cdf(horizon)),
            "horizon": horizon,
            "accrual_time": design.accrual_time,
            "follow_up": design.follow_up,
            "dropout_probability": design.dropout_probability(design.follow_up),
            "seed": seed,
        }
        executed = work / T1_NOTEBOOK.name
        run_notebook(notebook, executed, parameters=parameters, progress=progress,
                     cwd=_project_root())
        recorded = read_results(executed)
        html = executed.with_suffix(".html")
        figures = build_report(executed, html, figures=True)

        summary = analysis.summary
        write_csv_atomic(summary, work / "results.csv")
        write_csv_atomic(analysis.km.table, work / "km.csv")
        doc = {
            "trial": "T1",
            "seed": seed,
            "design": design.to_dict(),
            "analysis": analysis.to_json(),
            "notebook": {"path": executed.name, "parameters": parameters, "results": recorded},
        }
        (work / "results.json").write_text(json.dumps(jsonable(doc), indent=2, allow_nan=False))

        if out.exists():
            shutil.rmtree(out)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    paths = {
        "folder": out,
        "notebook": out / executed.name,
        "html": out / html.name,
        "results_json": out / "results.json",
        "results_csv": out / "results.csv",
        "km_csv": out / "km.csv",
        "figures": out / html.with_name(f"{html.stem}_figures").name,
    }
    paths.update({f"figure_{i + 1}_{kind}": out / p.parent.name / p.name
                  for kind in ("png", "svg") for i, p in enumerate(figures[kind])})
    paths.update({f"data_{k}": out / "data" / Path(v).name for k, v in data.items()})
    return paths
