"""Run notebooks and record their named results.

Two halves:

* **Inside a notebook**, :func:`record` stores a named result (a number, a string, a list, a dict, a
  result object or a :class:`pandas.DataFrame`). It becomes a display output of the cell with the
  mimetype ``application/vnd.workbench.record+json`` (so it travels with the executed notebook) and,
  when the notebook is run by :func:`run_notebook` or a pipeline, is also written to a JSON file
  next to the output notebook (``<output>.results.json``; the kernel learns its path from the
  environment variable ``WORKBENCH_RECORD_FILE``). In an interactive JupyterLab session only the
  display output is written.
* **Outside**, :func:`read_results` reads the recorded results back from an executed notebook (or
  from its JSON file) as a dict ``name -> value`` with tables as DataFrames, and
  :func:`run_notebook` executes a notebook with checked parameters.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ._files import check_output_file, write_text_atomic
from .exceptions import InvalidParameterError
from .reports import RECORD_MIMETYPE, ipython_shell  # the mimetype of record()'s outputs
from .results import jsonable

__all__ = ["record", "read_results", "run_notebook", "check_parameters", "notebook_parameters",
           "parameter_cell_source", "RECORD_MIMETYPE", "RECORD_ENV",
           "results_path", "render_html", "traceback_tail"]

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
        payload: dict[str, Any] = {"name": name, "kind": "table", "data": data}
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
    data: Any = payload.get("data")
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
    """The one compact line a reader sees for a recorded value.

    ``recorded: hazard_ratio = 0.46``; tables, dicts and long texts by name only (the full value
    is in the record mimetype).
    """
    from .results import column_kind, formatter

    def number(x: Any) -> str:
        kind = column_kind(name[:-3] if name.endswith("_ci") else name)
        if kind == "percent" and not -1 <= float(x) <= 1:  # not a share after all
            kind = "number"
        return formatter(kind)(x)

    def is_number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool) or (
            type(x).__module__ == "numpy" and hasattr(x, "dtype") and x.dtype.kind in "iuf")

    if isinstance(value, pd.DataFrame | pd.Series):
        return f"recorded: {name} (table, {len(value)} row{'s' if len(value) != 1 else ''})"
    if is_number(value):
        return f"recorded: {name} = {number(value)}"
    if isinstance(value, list | tuple) and 0 < len(value) <= 4 and all(map(is_number, value)):
        return f"recorded: {name} = [{', '.join(number(v) for v in value)}]"
    if isinstance(value, str) and len(value) <= 60 and "\n" not in value:
        return f"recorded: {name} = {value}"
    return f"recorded: {name}"


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
    ``application/vnd.workbench.record+json`` (with a plain-text line as fallback), so it is saved
    in the executed notebook. When the environment variable ``WORKBENCH_RECORD_FILE`` is set (by
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
    if ipython_shell() is None:
        return
    from IPython.display import display

    bundle = {RECORD_MIMETYPE: payload, "text/plain": _text_summary(name, value)}
    display(bundle, raw=True, metadata={RECORD_MIMETYPE: {"name": name}})


def _append_to_file(path: Path, payload: dict) -> None:
    existing = _read_json_file(path) if path.exists() else {}
    existing[payload["name"]] = payload
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"format": "workbench-record", "version": _FORMAT_VERSION,
                                        "results": existing}, allow_nan=False))


def _read_json_file(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidParameterError(
            f"`path` {str(path)!r} is not a readable results file: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise InvalidParameterError(f"`path` {str(path)!r} is not a workbench results file.")
    return doc["results"]


def _payloads_from_notebook(path: Path) -> dict:
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise InvalidParameterError(
            f"`path` {str(path)!r} is not a readable notebook: {exc}") from None
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
        An executed ``.ipynb`` (its display outputs are read; if it holds none, the JSON file next
        to it, ``<stem>.results.json``, is read instead) or such a ``.results.json`` file.

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


# --------------------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------------------

class _NoLiteral:
    """Marker for a parameter whose default is an expression, not a plain value."""

    def __repr__(self) -> str:
        return "<expression>"


_EXPRESSION = _NoLiteral()


def notebook_parameters(path: str | os.PathLike) -> dict[str, Any]:
    """The parameters declared in the cell tagged ``parameters`` of a notebook, with defaults.

    Parameters
    ----------
    path : path-like
        A notebook.

    Returns
    -------
    dict
        ``name -> default`` in the order of the cell. A default that is an expression rather than a
        plain value (a literal number, string, bool, None, list or dict) is shown as
        ``<expression>``; such parameters accept any value. An empty dict when the notebook has no
        parameters cell.
    """
    return _declared(path)[0]


def _declared(path) -> tuple[dict[str, Any], dict[str, str]]:
    nb = _read_notebook(Path(path))
    index = _parameters_cell_index(nb)
    if index is None:
        return {}, {}
    return _parse_parameters(nb.cells[index].source, path)


def _read_notebook(path: Path):
    import nbformat

    if not path.is_file():
        raise InvalidParameterError(f"`input_path` {str(path)!r} does not exist.")
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise InvalidParameterError(
            f"`input_path` {str(path)!r} is not a readable notebook: {exc}") from None


def _parameters_cell_index(nb) -> int | None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


def _parse_parameters(source: str, path) -> tuple[dict[str, Any], dict[str, str]]:
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InvalidParameterError(
            f"the parameters cell of {str(path)!r} is not valid Python: {exc}") from None
    params: dict[str, Any] = {}
    annotations: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value, annotation = node.targets, node.value, None
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value, annotation = [node.target], node.value, node.annotation
        else:
            continue
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            try:
                params[target.id] = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                params[target.id] = _EXPRESSION
            if annotation is not None:
                annotations[target.id] = ast.unparse(annotation)
    return params, annotations


def _describe(default: Any) -> str:
    if default is _EXPRESSION:
        return "any value"
    if default is None:
        return "any value, default None"
    return f"{type(default).__name__}, default {default!r}"


def _parse_text(text: str) -> Any:
    """A command-line string as a Python literal, a JSON list or object, or else the string itself.

    JSON spellings such as ``[true, null]`` and ``{"a": false}`` are read as JSON.
    """
    import ast

    stripped = text.strip()
    try:
        return ast.literal_eval(stripped)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return text


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain Python values; lists, tuples, sets and dicts kept."""
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return value.tolist()  # numpy arrays and scalars
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


def _convert(name: str, value: Any, default: Any, *, optional: bool = False) -> Any:
    """Check ``value`` against the type of ``default`` and convert it (strings are parsed)."""
    import numbers

    def fail(allowed: str):
        raise InvalidParameterError(
            f"parameter `{name}` must be {allowed} (its default is {default!r}); got {value!r}.")

    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy scalar
        value = value.item()
    if value is None:
        if default is None or default is _EXPRESSION or optional:
            return None
        fail(f"a {type(default).__name__}")
    if default is _EXPRESSION or default is None:
        v = _parse_text(value) if isinstance(value, str) else value
        return _plain(v)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
        if isinstance(value, numbers.Integral) and value in (0, 1):
            return bool(value)
        fail("a bool (True/False)")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        fail("a string")
    if isinstance(default, numbers.Integral):
        v = _parse_text(value) if isinstance(value, str) else value
        if isinstance(v, numbers.Integral) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, float) and v.is_integer():
            return int(v)
        fail("an integer")
    if isinstance(default, numbers.Real):
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                fail("a number")
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        fail("a number")
    if isinstance(default, list | tuple):
        v = _parse_text(value) if isinstance(value, str) else value
        if hasattr(v, "tolist"):
            v = v.tolist()
        if not isinstance(v, list | tuple):
            fail("a list, e.g. [1, 2]")
        v = [_plain(x) for x in v]
        kinds = {type(d) for d in default}
        if len(default) and len(kinds) == 1:
            (kind,) = kinds
            if kind is int:  # a list of whole numbers by default may hold other numbers
                kind, default_item = float, 0.0
                v = [x if isinstance(x, numbers.Integral) and not isinstance(x, bool)
                     else _convert(f"{name}[{i}]", x, default_item) for i, x in enumerate(v)]
            elif kind in (float, bool, str):
                v = [_convert(f"{name}[{i}]", x, default[0]) for i, x in enumerate(v)]
        return v if isinstance(default, list) else tuple(v)
    if isinstance(default, dict):
        v = _parse_text(value) if isinstance(value, str) else value
        if not isinstance(v, dict):
            fail("a dict, e.g. {'a': 1}")
        return _plain(v)
    return _plain(value)


def _literal_source(name: str, value: Any) -> str:
    """``value`` as Python source that evaluates to an equal value of the same type.

    Built from ``repr`` of None, bools, ints, floats, strings and (nested) lists, tuples and dicts
    of them, never by splicing text: whatever a string holds (quotes, backslashes, newlines),
    it stays a string. A non-finite float is written ``float('nan')`` / ``float('inf')``. Any other
    type is refused.
    """
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "float('-inf')"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal_source(name, v) for v in value) + "]"
    if isinstance(value, tuple):
        items = [_literal_source(name, v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal_source(name, k)}: {_literal_source(name, v)}"
                               for k, v in value.items()) + "}"
    raise InvalidParameterError(
        f"parameter `{name}` must be made of numbers, strings, bools, None, lists, tuples and "
        f"dicts; got {type(value).__name__}: {value!r}.")


def parameter_cell_source(parameters: dict[str, Any]) -> str:
    """The source of the cell injected after the ``parameters`` cell: one literal per name.

    Each value is written as a Python literal of its own type (see :func:`check_parameters` for
    how values given as text become typed values), so that the notebook receives exactly that
    value and no text of a value is ever run as code.

    Raises
    ------
    InvalidParameterError
        A name that is not a Python identifier, or a value that is not made of numbers, strings,
        bools, None, lists, tuples and dicts.

    Examples
    --------
    >>> print(parameter_cell_source({"labels": ('say "hi"', "b"), "n": 3}), end="")
    # Parameters
    labels = ('say "hi"', 'b')
    n = 3
    """
    import ast
    import keyword

    lines = ["# Parameters"]
    for name, value in parameters.items():
        if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
            raise InvalidParameterError(f"parameter name {name!r} is not a Python name.")
        source = _literal_source(name, value)
        tree = ast.parse(source, mode="eval")  # one expression, whatever the value held
        if not isinstance(tree.body, ast.Call):  # float('nan') is a call
            ast.literal_eval(tree)
        lines.append(f"{name} = {source}")
    return "\n".join(lines) + "\n"


def _literal_translator():
    """A papermill translator that writes the injected cell with :func:`parameter_cell_source`."""
    from papermill.translators import PythonTranslator

    class LiteralTranslator(PythonTranslator):
        @classmethod
        def codify(cls, parameters, comment="Parameters"):
            return parameter_cell_source(parameters)

    return LiteralTranslator


def _load_parameters_file(path) -> dict:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InvalidParameterError(f"`parameters_file` {str(p)!r} does not exist.")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidParameterError(
            f"`parameters_file` {str(p)!r} is not valid YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InvalidParameterError(
            f"`parameters_file` {str(p)!r} must hold a mapping of parameter names to values; "
            f"got {type(doc).__name__}.")
    return {str(k): v for k, v in doc.items()}


def check_parameters(input_path: str | os.PathLike, parameters: dict | None = None, *,
                     parameters_file: str | os.PathLike | None = None) -> dict[str, Any]:
    """Validate and convert parameters for a notebook against its ``parameters`` cell.

    Parameters
    ----------
    input_path : path-like
        The notebook.
    parameters : dict, optional
        ``name -> value``. Strings given for a parameter whose default is not a string are read as
        Python literals (``"[1, 2]"`` becomes a list, ``"0.7"`` a float).
    parameters_file : path-like, optional
        A YAML file with a mapping ``name: value``; ``parameters`` override its values.

    Returns
    -------
    dict
        The converted parameters, each of the type of its default (an int given for a float default
        becomes a float; a whole float for an int default becomes an int).

    Raises
    ------
    InvalidParameterError
        A name not declared in the parameters cell (the message lists the valid ones), a value of
        the wrong type, parameters given to a notebook without a parameters cell.
    """
    merged: dict[str, Any] = {}
    if parameters_file is not None:
        merged.update(_load_parameters_file(parameters_file))
    if parameters:
        if not isinstance(parameters, dict):
            raise InvalidParameterError(
                f"`parameters` must be a dict of name -> value; got {type(parameters).__name__}.")
        merged.update(parameters)
    if not merged:
        return {}
    declared, annotations = _declared(input_path)
    if not declared:
        raise InvalidParameterError(
            f"notebook {str(input_path)!r} has no cell tagged 'parameters' (or it declares no "
            f"names), so it takes no parameters; got {sorted(merged)}.")
    unknown = [k for k in merged if k not in declared]
    if unknown:
        import difflib

        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, declared, n=1)
            hints.append(f"`{k}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        valid = ", ".join(f"{k} ({_describe(v)})" for k, v in declared.items())
        raise InvalidParameterError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(hints)} for notebook "
            f"{Path(input_path).name}; valid parameters: {valid}.")
    out = {}
    for k, v in merged.items():
        ann = annotations.get(k, "")
        out[k] = _convert(k, v, declared[k], optional=("None" in ann or "Optional" in ann))
        _literal_source(k, out[k])  # a value the injected cell cannot hold is refused here
    return out


# --------------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------------

#: Name under which the project's own Python is started as a kernel.
KERNEL_NAME = "python3"


def _project_kernel_manager(env: dict[str, str], socket_dir: str | None,
                            started: list | None = None):
    """A kernel manager class that always starts ``sys.executable -m ipykernel_launcher``.

    The kernel spec is built here rather than looked up, so a kernel registered by hand under the
    same name (in ``~/.local/share/jupyter`` or elsewhere) can never be picked up instead. With a
    ``socket_dir`` the kernel talks over Unix sockets in that private folder instead of TCP ports,
    so kernels started at the same time by parallel runs cannot race for a port.
    """
    import sys

    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Float

    spec = KernelSpec(
        argv=[sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
              "-f", "{connection_file}"],
        display_name="Python 3 (workbench)",
        language="python",
        env=env,
        metadata={"debugger": False, "supported_encryption": ["curve"]},
    )

    class ProjectKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if started is not None:
                started.append(self)
            if socket_dir is not None:
                self.transport = "ipc"
                self.ip = os.path.join(socket_dir, "k")
            else:
                _encrypt_if_possible(self)

        # a kernel still busy (a cell that timed out) is terminated after half of this
        shutdown_wait_time = Float(2.0)

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts before every shutdown, and ipykernel then may log a
            # KeyboardInterrupt into the run's output; the shutdown request alone suffices
            # (a kernel that does not stop is terminated after `shutdown_wait_time`)
            if getattr(self, "shutting_down", False):
                return
            await super()._async_interrupt_kernel()

        @property
        def kernel_spec(self):
            return spec

    return ProjectKernelManager


def _encrypt_if_possible(km) -> None:
    """Encrypt the kernel's sockets where this jupyter_client and libzmq can.

    ipykernel warns about plain TCP otherwise.
    """
    if not km.has_trait("transport_encryption"):
        return
    import zmq

    if zmq.has("curve"):
        km.transport_encryption = "auto"


def _kernel_env(record_file: Path) -> dict[str, str]:
    import sys

    package_root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH", "")
    parts = [package_root] + [p for p in path.split(os.pathsep) if p and p != package_root]
    return {
        RECORD_ENV: str(record_file.resolve()),
        # the kernel imports the same workbench as the process that runs the notebook
        "PYTHONPATH": os.pathsep.join(parts),
        "WORKBENCH_KERNEL_PYTHON": sys.executable,
        "MPLBACKEND": os.environ.get("MPLBACKEND", "module://matplotlib_inline.backend_inline"),
    }


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return bool(progress)
    import sys

    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


def _failing_cell(nb) -> tuple[int | None, Any]:
    """Index (in the executed notebook) and the cell that failed, as papermill marks it."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        status = cell.get("metadata", {}).get("papermill", {})
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not (
                    out.get("ename") == "SystemExit" and out.get("evalue") in ("", "0")):
                return i, cell
        if status.get("exception") is True or status.get("status") in ("running", "failed"):
            return i, cell
    return None, None


def _last_started_cell(nb) -> int | None:
    """Index of the last cell that started executing (where a timeout or a dead kernel struck)."""
    started = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
               and c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def _input_index(nb, out_index: int | None) -> int | None:
    """Map an index of the executed notebook back to the input notebook (drop inserted cells)."""
    if out_index is None:
        return None
    inserted = {"injected-parameters", "papermill-error-cell-tag"}
    cell = nb.cells[out_index]
    tags = set(cell.get("metadata", {}).get("tags", []))
    before = sum(1 for c in nb.cells[:out_index]
                 if inserted & set(c.get("metadata", {}).get("tags", [])))
    if "injected-parameters" in tags:  # the injected values failed: blame the parameters cell
        before += 1
    return out_index - before


class _ParameterNoise:
    """Drops papermill's own parameter warnings.

    Its line-by-line parser misreads some valid parameters cells (a list value followed by a
    comment, ``s = "a=b"``), while the parameters were already checked here, with the Python parser.
    """

    def filter(self, record) -> bool:
        msg = str(record.msg)
        return not (msg.startswith("Unable to parse line") or
                    msg.startswith("Passed unknown parameter"))


def _quiet_papermill() -> None:
    import logging

    for name in ("papermill", "papermill.translators"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ParameterNoise) for f in logger.filters):
            logger.addFilter(_ParameterNoise())


@functools.lru_cache(maxsize=2)
def html_exporter(hide_code: bool):
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=hide_code, exclude_input_prompt=hide_code,
                        exclude_output_prompt=hide_code)


def render_html(notebook: str | os.PathLike, target: str | os.PathLike, *,
                hide_code: bool = False) -> None:
    """Render an executed notebook to an HTML page, written atomically.

    ``hide_code`` leaves out the code cells: a report of text, tables and plots. The page is made
    by :func:`workbench.reports.build_report` (a proper title, the parameters once as a table, no
    injected-parameters cell).
    """
    from .reports import build_report

    build_report(notebook, target, hide_code=hide_code)


def run_notebook(input_path: str | os.PathLike, output_path: str | os.PathLike, *,
                 parameters: dict | None = None,
                 parameters_file: str | os.PathLike | None = None,
                 kernel_name: str | None = None,
                 progress: bool | None = None,
                 cwd: str | os.PathLike | None = None,
                 timeout: float | None = None) -> dict[str, Any]:
    """Execute a notebook with checked parameters in the project's own Python.

    A thin layer over :func:`papermill.execute_notebook` that adds what plain papermill lacks:
    unknown parameter names are an error, values are checked and converted against the defaults
    of the ``parameters`` cell, YAML parameter files are read, the kernel is always the Python that
    runs the workbench, and a failing cell raises :class:`~workbench.exceptions.NotebookRunError`.

    Parameters
    ----------
    input_path : path-like
        Notebook to run. Its cell tagged ``parameters`` declares the parameters and their defaults.
    output_path : path-like
        Where the executed notebook is written (also after a failure, with the error shown). The
        results recorded with :func:`record` are also written to ``<stem>.results.json`` beside it.
    parameters : dict, optional
        ``name -> value``; see :func:`check_parameters` for the conversion rules.
    parameters_file : path-like, optional
        YAML file with ``name: value`` lines; ``parameters`` override it.
    kernel_name : str, optional
        None (default) runs ``sys.executable -m ipykernel_launcher``: the environment running the
        workbench, whatever kernel the notebook's metadata names and whatever kernels are
        registered. Give the name of a registered kernel spec only to run elsewhere on purpose.
    progress : bool, optional
        Show a progress bar over the cells of this notebook. None (default): only when standard
        error is a terminal and ``CI`` is not set, so logs stay clean.
    cwd : path-like, optional
        Working directory of the kernel; default the folder of ``input_path`` (as in JupyterLab).
    timeout : float, optional
        Seconds a single cell may run; None for no limit.

    Returns
    -------
    dict
        The results recorded by the notebook (as :func:`read_results`).

    Raises
    ------
    InvalidParameterError
        Unknown parameter names (the message lists the valid ones) or values of the wrong type;
        checked before any kernel starts.
    NotebookRunError
        A cell failed (or timed out, or the kernel died). ``notebook`` is the partly executed
        output, ``cell_index`` the index of the failing cell in the input notebook, ``ename`` and
        ``evalue`` the error; ``exec_count``, ``source`` and ``traceback`` are also set.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    from papermill.translators import papermill_translators

    from .exceptions import NotebookRunError

    input_path = Path(input_path).absolute()
    output_path = Path(output_path).absolute()
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        raise InvalidParameterError(f"`timeout` must be a number of seconds > 0; got {timeout!r}.")
    params = check_parameters(input_path, parameters, parameters_file=parameters_file)
    if not params:
        _read_notebook(input_path)  # readable at all?
    _check_writable(output_path)
    record_file = results_path(output_path)
    record_file.unlink(missing_ok=True)  # results of an earlier run must not leak into this one
    workdir = Path(cwd) if cwd is not None else input_path.resolve().parent
    if not workdir.is_dir():
        raise InvalidParameterError(f"`cwd` {str(workdir)!r} is not a directory.")

    engine_kwargs: dict[str, Any] = {}
    socket_dir = None
    managers: list = []  # the kernel managers papermill creates, to stop their kernels at the end
    if kernel_name is None:
        kernel_name = KERNEL_NAME
        if os.name == "posix":
            socket_dir = _socket_dir()
        engine_kwargs["kernel_manager_class"] = _project_kernel_manager(
            _kernel_env(record_file), socket_dir, managers)
    else:
        engine_kwargs["kernel_manager_class"] = _named_kernel_manager(_kernel_env(record_file),
                                                                      managers)
    show = _show_progress(progress)
    _quiet_papermill()
    # the injected cell holds literals written by parameter_cell_source, never papermill's text
    papermill_translators.register(kernel_name, _literal_translator())
    try:
        pm.execute_notebook(
            # papermill formats paths with the parameters: braces in a path stay braces
            _no_format(input_path), _no_format(output_path),
            parameters=params or None,
            kernel_name=kernel_name,
            language="python" if kernel_name == KERNEL_NAME else None,
            progress_bar={"desc": input_path.name, "leave": False} if show else False,
            # the kernel starts in `workdir`; papermill's own `cwd` would chdir this whole
            # process, which races when several notebooks run in threads (e.g. a Dask worker)
            resources={"metadata": {"path": str(workdir.resolve())}},
            execution_timeout=timeout,
            **engine_kwargs,
        )
    except PapermillExecutionError as exc:
        import nbformat

        nb = nbformat.read(str(output_path), as_version=4)
        out_index, _ = _failing_cell(nb)
        err = NotebookRunError(output_path, _input_index(nb, out_index), exc.ename, exc.evalue,
                               message=None)
        _decorate(err, input_path, exc.exec_count, exc.source, exc.traceback)
        raise err from None
    except Exception as exc:  # timeouts, dead kernels: the notebook as far as it got is kept
        index = None
        if output_path.exists():
            import nbformat

            nb = nbformat.read(str(output_path), as_version=4)
            out_index, _ = _failing_cell(nb)
            if out_index is None:
                out_index = _last_started_cell(nb)
            index = _input_index(nb, out_index)
        message = str(exc).strip()
        if type(exc).__name__ == "CellTimeoutError":
            message = f"the cell did not finish within {timeout:g} s"
        elif not message:
            message = repr(exc)
        err = NotebookRunError(output_path, index, type(exc).__name__, message)
        _decorate(err, input_path, None, "", [])
        raise err from exc
    finally:
        # a kernel still starting when the run stopped (Ctrl-C) would find its socket folder
        # gone and print a traceback: it is stopped first
        _stop_kernels(managers)
        if socket_dir is not None:
            import shutil

            shutil.rmtree(socket_dir, ignore_errors=True)
    return read_results(output_path)


_SOCKET_PREFIX = "wbk-"


def _socket_dir() -> str:
    """A private folder for a kernel's sockets, named after this process.

    Folders left by processes that no longer exist (killed with SIGKILL, which no clean-up
    survives) are removed first.
    """
    import shutil
    import tempfile

    base = Path(tempfile.gettempdir())
    for old in base.glob(f"{_SOCKET_PREFIX}*-*"):
        pid = old.name[len(_SOCKET_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)) and old.is_dir():
            try:
                if old.stat().st_uid == os.getuid():
                    shutil.rmtree(old, ignore_errors=True)
            except OSError:
                pass
    return tempfile.mkdtemp(prefix=f"{_SOCKET_PREFIX}{os.getpid()}-")


def _process_exists(pid: int) -> bool:
    """Whether a process with this id exists and has not ended (a zombie counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _stop_kernels(managers: list) -> None:
    """Kill the kernels of ``managers`` that are still running (and their process groups)."""
    import signal
    import subprocess

    for km in managers:
        provisioner = getattr(km, "provisioner", None)
        proc = getattr(provisioner, "process", None)
        if proc is None or proc.poll() is not None:
            continue
        try:
            pgid = getattr(provisioner, "pgid", None)
            if pgid and hasattr(os, "killpg") and pgid != os.getpgid(0):
                os.killpg(pgid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass


def _check_writable(output_path: Path) -> None:
    """Raise naming ``output_path`` when the executed notebook could not be written there."""
    check_output_file(output_path, "output_path", what="a notebook file")


def _no_format(path: Path) -> str:
    return str(path).replace("{", "{{").replace("}", "}}")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def traceback_tail(traceback: list[str] | str | None, lines: int = 12) -> str | None:
    r"""The last ``lines`` lines of a cell's traceback as plain text (terminal colours removed).

    Parameters
    ----------
    traceback : list of str or str or None
        The traceback of a :class:`~workbench.exceptions.NotebookRunError` (``err.traceback``).
    lines : int, default 12
        How many lines to keep.

    Returns
    -------
    str or None
        None when there is no traceback.

    Examples
    --------
    >>> traceback_tail(["Traceback (most recent call last):", "\x1b[0;31mValueError\x1b[0m: boom"],
    ...                lines=1)
    'ValueError: boom'
    """
    if not traceback:
        return None
    text = traceback if isinstance(traceback, str) else "\n".join(traceback)
    kept = _ANSI.sub("", text).rstrip().splitlines()[-lines:]
    return "\n".join(line.rstrip() for line in kept) or None


def _named_kernel_manager(env: dict[str, str], started: list | None = None):
    """Kernel manager for an explicitly named, registered kernel, with the workbench variables."""
    from jupyter_client.manager import AsyncKernelManager

    class NamedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if started is not None:
                started.append(self)

        async def _async_pre_start_kernel(self, **kw):
            kw["env"] = {**kw.get("env", os.environ), **env}
            return await super()._async_pre_start_kernel(**kw)

    return NamedKernelManager


def _decorate(err, input_path: Path, exec_count, source, traceback) -> None:
    err.input_notebook = str(input_path)
    err.exec_count = exec_count
    err.source = source
    err.traceback = list(traceback or [])
    where = f"cell {err.cell_index}" if err.cell_index is not None else "an unknown cell"
    kept = (f" (partly executed notebook kept at {err.notebook})" if Path(err.notebook).exists()
            else "")
    err.args = (f"notebook {input_path.name} failed in {where}: {err.ename}: {err.evalue}{kept}",)
