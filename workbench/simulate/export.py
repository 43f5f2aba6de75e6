"""Writing simulated patient-level data: CSV, Parquet, a data dictionary, and CDISC ADaM shape.

:func:`to_adam` turns a time-to-event data set from
:func:`~workbench.simulate.survival.simulate_survival` into the two ADaM tables trial statisticians
exchange: ADSL (one row per subject) and ADTTE (one row per subject and parameter, with ``AVAL`` the
time and ``CNSR`` 0 for an event, 1 for censoring). :func:`write_survival_dataset` writes everything
into one folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_path, write_text_atomic
from .._validation import check_columns, check_dataframe

__all__ = [
    "SURVIVAL_DICTIONARY",
    "to_adam",
    "write_survival_dataset",
    "write_csv_atomic",
    "write_design_file",
]

#: column -> (type, description) of the patient-level data from ``simulate_survival``
SURVIVAL_DICTIONARY: dict[str, tuple[str, str]] = {
    "id": ("integer", "Patient number, 1..n, in arm order"),
    "arm": ("string", "Randomised arm (the name given in the design)"),
    "entry_time": ("float", "Calendar time of entry into the study, from the first entry"),
    "event_time": (
        "float", "Latent time from entry to the event (inf if cured); unobserved in a real trial"),
    "time": ("float", "Observed time from entry to the event or censoring"),
    "event": ("integer 0/1", "1 = event (recurrence) observed, 0 = censored"),
    "censoring_reason": (
        "string",
        "'administrative' (end of follow-up) or 'lost to follow-up'; empty for events",
    ),
    "exit_time": ("float", "Calendar time of the event or censoring (entry_time + time)"),
}

_ADTTE_DICTIONARY = {
    "STUDYID": "Study identifier",
    "USUBJID": "Unique subject identifier (STUDYID-SUBJID)",
    "TRT01P": "Planned treatment (arm)",
    "TRT01PN": "Planned treatment, numeric (1 = first arm of the design)",
    "PARAMCD": "Parameter code",
    "PARAM": "Parameter",
    "AVAL": "Analysis value: time from entry to event or censoring",
    "AVALU": "Unit of AVAL",
    "CNSR": "Censoring: 0 = event, 1 = censored",
    "EVNTDESC": "Event description (events only)",
    "CNSDTDSC": "Censoring description (censored only)",
}


def to_adam(
    data: pd.DataFrame,
    *,
    studyid: str = "T1",
    paramcd: str = "RECUR",
    param: str = "Time to recurrence of major depression",
    time_unit: str = "MONTHS",
    arm_order: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADSL and ADTTE tables from patient-level time-to-event data.

    Parameters
    ----------
    data : DataFrame
        Columns ``id``, ``arm``, ``time``, ``event`` and optionally ``entry_time`` and
        ``censoring_reason`` (as :func:`~workbench.simulate.survival.simulate_survival` returns).
    studyid, paramcd, param, time_unit : str
        Values of STUDYID, PARAMCD, PARAM and AVALU.
    arm_order : list of str, optional
        Order of arms for TRT01PN (default: order of first appearance).

    Returns
    -------
    (adsl, adtte) : tuple of DataFrame
        ADSL: STUDYID, USUBJID, SUBJID, TRT01P, TRT01PN, ITTFL, ENTRYTM (entry time, in
        ``time_unit``). ADTTE: STUDYID, USUBJID, TRT01P, TRT01PN, PARAMCD, PARAM, AVAL, AVALU, CNSR,
        EVNTDESC, CNSDTDSC.

    Examples
    --------
    >>> from workbench import load_design, simulate_trial
    >>> adsl, adtte = to_adam(simulate_trial(load_design("t1"), rng=1))
    >>> list(adtte.columns[:6])
    ['STUDYID', 'USUBJID', 'TRT01P', 'TRT01PN', 'PARAMCD', 'PARAM']
    >>> int((adtte["CNSR"] == 0).sum()) == int(adtte.shape[0] - adtte["CNSR"].sum())
    True
    """
    check_dataframe(data)
    check_columns(data, "id", "arm", "time", "event")
    arms = arm_order or list(pd.unique(data["arm"]))
    armn = {a: i + 1 for i, a in enumerate(arms)}
    width = max(3, len(str(int(data["id"].max()))))
    subjid = data["id"].map(lambda i: f"{int(i):0{width}d}")
    usubjid = studyid + "-" + subjid
    adsl = pd.DataFrame(
        {
            "STUDYID": studyid,
            "USUBJID": usubjid,
            "SUBJID": subjid,
            "TRT01P": data["arm"].astype(str),
            "TRT01PN": data["arm"].map(armn).astype(int),
            "ITTFL": "Y",
            "ENTRYTM": data["entry_time"] if "entry_time" in data else np.nan,
        }
    )
    event = data["event"].astype(int).to_numpy()
    if "censoring_reason" in data:
        reason = data["censoring_reason"].fillna("").astype(str).str.upper()
        cnsdesc = np.where(
            event == 1, "",
            np.where(reason == "LOST TO FOLLOW-UP", "LOST TO FOLLOW-UP", "END OF FOLLOW-UP")
        )
    else:
        cnsdesc = np.where(event == 1, "", "CENSORED")
    adtte = pd.DataFrame(
        {
            "STUDYID": studyid,
            "USUBJID": usubjid,
            "TRT01P": adsl["TRT01P"],
            "TRT01PN": adsl["TRT01PN"],
            "PARAMCD": paramcd,
            "PARAM": param,
            "AVAL": data["time"].astype(float),
            "AVALU": time_unit.upper(),
            "CNSR": 1 - event,
            "EVNTDESC": np.where(event == 1, param.upper().replace("TIME TO ", ""), ""),
            "CNSDTDSC": cnsdesc,
        }
    )
    return adsl, adtte


def write_csv_atomic(df: pd.DataFrame, path: Path, **kwargs) -> None:
    """Write a CSV through a temporary file and a rename, so no half-written file is left."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", **kwargs)


def write_survival_dataset(
    data: pd.DataFrame,
    folder,
    *,
    design=None,
    seed=None,
    studyid: str = "T1",
    parquet: bool = True,
    float_format: str = "%.6f",
) -> dict[str, Path]:
    """Write a simulated time-to-event data set and its documentation into ``folder``.

    Files: ``patients.csv`` (and ``patients.parquet``), ``adsl.csv``, ``adtte.csv``,
    ``dictionary.csv`` (column, table, type, description) and, when ``design`` is given,
    ``design.yaml`` with the seed. Floats are written with ``float_format`` so the files are the
    same byte for byte on every platform. Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    adsl, adtte = to_adam(data, studyid=studyid, time_unit=getattr(design, "time_unit", "months"),
                          arm_order=getattr(design, "arm_names", None))
    for name, table in (("patients", data), ("adsl", adsl), ("adtte", adtte)):
        out[name] = folder / f"{name}.csv"
        write_csv_atomic(table, out[name], float_format=float_format)
    if parquet:
        out["patients_parquet"] = folder / "patients.parquet"
        with atomic_path(out["patients_parquet"]) as tmp:
            data.to_parquet(tmp, index=False)
    rows = [("patients", c, t, d) for c, (t, d) in SURVIVAL_DICTIONARY.items() if c in data.columns]
    rows += [("adtte", c, "", d) for c, d in _ADTTE_DICTIONARY.items()]
    rows += [
        ("adsl", "SUBJID", "string", "Subject identifier within the study"),
        ("adsl", "ITTFL", "string", "Intent-to-treat population flag"),
        ("adsl", "ENTRYTM", "float", "Entry time (calendar, from the first entry)"),
    ]
    dictionary = pd.DataFrame(rows, columns=["table", "column", "type", "description"])
    out["dictionary"] = folder / "dictionary.csv"
    write_csv_atomic(dictionary, out["dictionary"])
    if design is not None:
        out["design"] = write_design_file(design, seed, folder / "design.yaml")
    return out


def write_design_file(design, seed, path) -> Path:
    """Write ``{seed, design}`` as YAML beside a simulated data set (``load_design`` reads it)."""
    import yaml

    write_text_atomic(path, yaml.safe_dump({"seed": seed, "design": design.to_dict()},
                                           sort_keys=False))
    return Path(path)


def dataset_main(write, module: str, argv: list[str] | None = None) -> int:
    """``python -m <module> OUTPUT_DIRECTORY``: ``write(OUTPUT_DIRECTORY)`` and print the paths.

    The command line of the modules that regenerate data sets under ``synthetic_data/``.
    """
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python -m {module} OUTPUT_DIRECTORY", file=sys.stderr)
        return 2
    for p in write(args[0]):
        print(p)
    return 0
