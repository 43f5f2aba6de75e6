"""Run notebooks and record their named results.

Two halves:

* **Inside a notebook**, :func:`record` stores a named result (a number, a string, a list, a dict, a
  result object or a :class:`pandas.DataFrame`). It becomes a display output of the cell with the
  mimetype ``application/vnd.workbench.record+json`` (so it travels with the executed notebook) and,
  when the notebook is run by :func:`run_notebook` or a pipeline, is also written to a JSON file next
  to the output notebook (``<output>.results.json``; the kernel learns its path from the environment
  variable ``WORKBENCH_RECORD_FILE``). In an interactive JupyterLab session only the display output
  is written.
* **Outside**, :func:`read_results` reads the recorded results back from an executed notebook (or
  from its JSON file) as a dict ``name -> value`` with tables as DataFrames, and :func:`run_notebook`
  executes a notebook with checked parameters.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import InvalidParameterError
from .results import jsonable

__all__ = ["record", "read_results", "RECORD_MIMETYPE", "RECORD_ENV",
           "results_path"]

#: Mimetype of the display outputs written by :func:`record`.
RECORD_MIMETYPE = "application/vnd.workbench.record+json"
#: Environment variable holding the JSON file that :func:`record` also writes to.
RECORD_ENV = "WORKBENCH_RECORD_FILE"

_FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------------------
# record / read_results
# --------------------------------------------------------------------------------------------------

def results_path(notebook: str | os.PathLike) -> Path:
    """Path of the JSON file holding the results recorded by ``notebook``.

    >>> results_path("out/run.ipynb").as_posix()
    'out/run.results.json'
    """
    p = Path(notebook)
    return p.with_name(p.stem + ".results.json")


def _encode(name: str, value: Any) -> dict:
    """The JSON payload stored for one recorded value."""
    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        df = value
        default_index = isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and (
            df.index.step == 1) and df.index.name is None
        data = {
            "columns": jsonable([c if isinstance(c, int | float) else str(c) for c in df.columns]),
            "dtypes": [str(t) for t in df.dtypes],
            "rows": jsonable(df.to_numpy(dtype=object).tolist()),
        }
        if not default_index:
            data["index"] = jsonable(df.index.to_list())
            data["index_names"] = [None if n is None else str(n) for n in df.index.names]
        payload = {"name": name, "kind": "table", "data": data}
    elif isinstance(value, float) and not math.isfinite(value):
        payload = {"name": name, "kind": "float", "data": jsonable(value)}
    else:
        payload = {"name": name, "kind": "json", "data": jsonable(value)}
    payload["version"] = _FORMAT_VERSION
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"`value` of record({name!r}, ...) must be JSON-serialisable (numbers, strings, bools, "
            f"None, lists, dicts, DataFrames or result objects); got {type(value).__name__}: {exc}"
        ) from None
    return payload


def _decode(payload: dict) -> Any:
    kind = payload.get("kind", "json")
    data = payload.get("data")
    if kind == "float":
        return {"Inf": math.inf, "-Inf": -math.inf, None: math.nan}.get(data, data)
    if kind != "table":
        return data
    columns = data["columns"]
    df = pd.DataFrame(data["rows"], columns=pd.Index(columns, dtype=object) if columns else None)
    if not columns:
        df = pd.DataFrame(index=range(len(data["rows"])))
    for col, dtype in zip(df.columns, data.get("dtypes", []), strict=False):
        df[col] = _restore_dtype(df[col], dtype)
    if "index" in data:
        names = data.get("index_names") or [None]
        if len(names) > 1:
            df.index = pd.MultiIndex.from_tuples([tuple(i) for i in data["index"]], names=names)
        else:
            df.index = pd.Index(data["index"], name=names[0])
    return df


def _restore_dtype(col: pd.Series, dtype: str) -> pd.Series:
    try:
        if dtype.startswith(("float", "Float")):
            special = {"Inf": math.inf, "-Inf": -math.inf, None: math.nan}
            values = [special.get(v, v) if not isinstance(v, float) else v for v in col]
            return pd.Series(values, index=col.index, name=col.name, dtype=dtype.lower())
        if dtype.startswith(("int", "uint", "Int", "UInt")):
            return col.astype(dtype if col.notna().all() else "Int64")
        if dtype == "bool":
            return col.astype(bool) if col.notna().all() else col
        if dtype.startswith("datetime64"):
            return pd.to_datetime(col)
        if dtype == "category":
            return col.astype("category")
    except (TypeError, ValueError):
        pass
    return col


def _text_summary(name: str, value: Any) -> str:
    if isinstance(value, pd.DataFrame | pd.Series):
        return f"{name}: table with {len(value)} rows"
    text = repr(value)
    return f"{name} = {text if len(text) <= 200 else text[:197] + '...'}"


def record(name: str, value: Any) -> None:
    """Record a named result of a notebook so pipelines and tests can read it back.

    Parameters
    ----------
    name : str
        Name of the result (non-empty). Recording a name again replaces the earlier value.
    value : JSON-serialisable value, result object or DataFrame
        Numbers, strings, bools, None, lists and dicts (numpy values are converted; NaN is stored as
        null and infinities as ``"Inf"``/``"-Inf"``), objects with ``to_dict()`` such as the
        workbench results, and :class:`pandas.DataFrame` / Series, stored as tables.

    Notes
    -----
    In a running kernel the value is displayed with the mimetype
    ``application/vnd.workbench.record+json`` (with a plain-text line as fallback), so it is saved in
    the executed notebook. When the environment variable ``WORKBENCH_RECORD_FILE`` is set (by
    :func:`run_notebook` and the pipelines) the value is also written to that JSON file, replaced
    atomically on every call. Outside a kernel, with no file set, nothing is shown.

    Examples
    --------
    >>> import pandas as pd
    >>> record("power", 0.81)
    >>> record("table", pd.DataFrame({"n": [100, 200], "power": [0.5, 0.8]}))
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(f"`name` must be a non-empty string; got {name!r}.")
    payload = _encode(name, value)
    _display(name, value, payload)
    target = os.environ.get(RECORD_ENV)
    if target:
        _append_to_file(Path(target), payload)


def _display(name: str, value: Any, payload: dict) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is None:
        return
    from IPython.display import display

    bundle = {RECORD_MIMETYPE: payload, "text/plain": _text_summary(name, value)}
    display(bundle, raw=True, metadata={RECORD_MIMETYPE: {"name": name}})


def _append_to_file(path: Path, payload: dict) -> None:
    existing = _read_json_file(path) if path.exists() else {}
    existing[payload["name"]] = payload
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            json.dump({"format": "workbench-record", "version": _FORMAT_VERSION,
                       "results": existing}, fh, allow_nan=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json_file(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidParameterError(f"`path` {str(path)!r} is not a readable results file: {exc}")\
            from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise InvalidParameterError(f"`path` {str(path)!r} is not a workbench results file.")
    return doc["results"]


def _payloads_from_notebook(path: Path) -> dict:
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise InvalidParameterError(f"`path` {str(path)!r} is not a readable notebook: {exc}")\
            from None
    found: dict[str, dict] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            payload = out.get("data", {}).get(RECORD_MIMETYPE)
            if isinstance(payload, str):  # written by an older client as a string
                payload = json.loads(payload)
            if isinstance(payload, dict) and "name" in payload:
                found[payload["name"]] = payload
    return found


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read the results recorded with :func:`record` back from an executed notebook.

    Parameters
    ----------
    path : path-like
        An executed ``.ipynb`` (its display outputs are read; if it holds none, the JSON file next to
        it, ``<stem>.results.json``, is read instead) or such a ``.results.json`` file.

    Returns
    -------
    dict
        ``name -> value`` in recording order; tables come back as DataFrames with their column
        dtypes, ``null`` as None (NaN in float table columns).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.environ["WORKBENCH_RECORD_FILE"] = os.path.join(d, "run.results.json")
    >>> record("power", 0.81)
    >>> del os.environ["WORKBENCH_RECORD_FILE"]
    >>> read_results(os.path.join(d, "run.results.json"))
    {'power': 0.81}
    """
    p = Path(path)
    if not p.exists():
        raise InvalidParameterError(f"`path` {str(p)!r} does not exist.")
    if p.suffix == ".ipynb":
        payloads = _payloads_from_notebook(p)
        if not payloads and results_path(p).exists():
            payloads = _read_json_file(results_path(p))
    else:
        payloads = _read_json_file(p)
    return {name: _decode(payload) for name, payload in payloads.items()}
