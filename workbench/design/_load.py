"""Reading any workbench design from a file, a dictionary or the catalogue, by its ``type`` field.

This module imports no design module: each design module registers its class here when it
defines it (:func:`register_design_type`), and :func:`design_from_dict` looks the ``type`` field up
in that registry. The catalogue is the folder ``catalogue/`` beside this module: one YAML design
file per published trial or meta-analysis (``t1.yaml`` ... ``m3.yaml``), read by
:func:`load_design` by name and listed by :func:`list_designs`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

from .._validation import type_name
from ..exceptions import InvalidParameterError

__all__ = ["load_design", "list_designs", "design_from_dict", "register_design_type"]

_SUFFIXES = (".json", ".yaml", ".yml")

#: design class name (the ``type`` field of a design file) -> design class
_DESIGN_TYPES: dict[str, Any] = {}

#: the ``type`` of a design file without one (files written before the field existed)
_DEFAULT_TYPE = "SurvivalDesign"


def register_design_type(cls: type) -> type:
    """Make ``cls`` readable from design files whose ``type`` is ``cls.__name__``.

    Used as a class decorator by each design module; ``cls`` needs a ``from_dict`` class method
    (and, to be written, a ``to_dict`` method that sets ``type``). Returns ``cls`` unchanged.
    """
    if not isinstance(cls, type) or not callable(getattr(cls, "from_dict", None)):
        raise InvalidParameterError(
            f"a design type must be a class with a `from_dict` class method; got {cls!r}."
        )
    _DESIGN_TYPES[cls.__name__] = cls
    return cls


def read_design(source, parse=None, kind: str = "JSON/YAML"):
    """The parsed content of a design given as a file path or as text.

    ``source`` is a path when it is a :class:`os.PathLike` or a one-line string naming a
    ``.json``/``.yaml``/``.yml`` file (a missing file is an error); any other string is the text
    itself. ``parse`` is ``json.loads`` or ``yaml.safe_load`` (``kind`` names it in errors); None
    picks by the file's suffix, JSON for ``.json`` and YAML otherwise. Unreadable text raises an
    InvalidParameterError naming ``kind``.

    >>> read_design('{"arms": []}', json.loads, "JSON")
    {'arms': []}
    """
    path = None
    if isinstance(source, os.PathLike):
        path = Path(source)
    elif (isinstance(source, str) and "\n" not in source and len(source) < 4096
          and source.lower().endswith(_SUFFIXES)):
        path = Path(source)
    if path is not None:
        if not path.is_file():
            raise InvalidParameterError(f"design file {str(path)!r} does not exist.")
        source = path.read_text(encoding="utf-8")
    if not isinstance(source, str):
        raise InvalidParameterError(
            f"a design must be {kind} text or a file path; got {type(source).__name__}."
        )
    import yaml

    if parse is None:
        is_json = path is not None and path.suffix.lower() == ".json"
        parse = json.loads if is_json else yaml.safe_load
    try:
        return parse(source)
    except (ValueError, yaml.YAMLError) as exc:  # json.JSONDecodeError is a ValueError
        where = f"design file {str(path)!r}" if path is not None else "the design"
        raise InvalidParameterError(f"could not read {where} as {kind}: {exc}") from None


def design_fields(cls, d, *, extra=(), required=()) -> dict[str, Any]:
    """A copy of the mapping ``d`` ready for ``cls(**...)``.

    Its ``type`` (default ``cls.__name__``) must name ``cls`` and is dropped; every other key must
    be an init field of ``cls`` or in ``extra``, and the ``required`` ones must be there.

    >>> from workbench.design.meta import MetaAnalysisDesign
    >>> design_fields(MetaAnalysisDesign, {"type": "MetaAnalysisDesign", "n1": [10]})
    {'n1': [10]}
    """
    name = cls.__name__
    if not isinstance(d, dict):
        raise InvalidParameterError(f"a {name} must be a mapping; got {type(d).__name__}.")
    d = dict(d)
    kind = d.pop("type", name)
    if kind != name:
        raise InvalidParameterError(f"`type` must be {name!r}; got {kind!r}.")
    allowed = {f.name for f in dataclasses.fields(cls) if f.init} | set(extra)
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise InvalidParameterError(
            f"unknown design field(s) {unknown}; allowed: {sorted(allowed)}."
        )
    missing = [k for k in required if k not in d]
    if missing:
        raise InvalidParameterError(f"a design needs {', '.join(f'`{k}`' for k in missing)}.")
    return d


def design_from_dict(d: dict[str, Any]):
    """The design described by ``d``; its ``type`` names the class (default ``SurvivalDesign``).

    >>> design_from_dict({"type": "SurvivalDesign", "arms": [
    ...     {"name": "a", "n": 5, "event_time": {"hazard": 0.1}},
    ...     {"name": "b", "n": 5, "event_time": {"median": 12}}]}).n_total
    10
    """
    if not isinstance(d, dict):
        raise InvalidParameterError(f"a design must be a mapping; got {type(d).__name__}.")
    if "design" in d and set(d) <= {"design", "seed"}:
        d = d["design"]  # the design file written beside a simulated data set
        if not isinstance(d, dict):
            raise InvalidParameterError(f"`design` must be a mapping; got {type(d).__name__}.")
    kind = d.get("type", _DEFAULT_TYPE)
    cls = _DESIGN_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidParameterError(
            f"`type` must be one of {sorted(_DESIGN_TYPES)}; got {kind!r}."
        )
    return cls.from_dict(d)


# --------------------------------------------------------------------------------------------
# the catalogue of published designs
# --------------------------------------------------------------------------------------------
def _catalogue_files() -> dict[str, Any]:
    """Catalogue name (file stem, lower case) -> packaged YAML file, t1 ... t8 then m1 ... m3."""
    folder = files(__package__) / "catalogue"
    found = {f.name[:-5].lower(): f for f in folder.iterdir() if f.name.endswith(".yaml")}

    def order(name: str):
        return (not name.startswith("t"), name[:1], int(name[1:]) if name[1:].isdigit() else 0,
                name)

    return {name: found[name] for name in sorted(found, key=order)}


def _looks_like_a_name(source: str) -> bool:
    seps = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return not any(s in source for s in seps) and not source.lower().endswith(_SUFFIXES)


def load_design(source):
    """Read a design, whatever its type, from the catalogue by name or from a file.

    Parameters
    ----------
    source : str or path-like
        A catalogue name (``"t1"`` ... ``"t8"``, ``"m1"`` ... ``"m3"``, any case; see
        :func:`list_designs`) or a ``.yaml``/``.yml`` or ``.json`` design file, including the
        ``design.yaml`` written beside a simulated data set. A string that names a catalogue
        design is read from the catalogue even if a file of that name exists (write ``./t1`` for
        the file).

    Returns
    -------
    SurvivalDesign, BinaryDesign, ContinuousDesign or MetaAnalysisDesign
        The class the file's ``type`` field names.

    Raises
    ------
    InvalidParameterError
        If ``source`` is neither a catalogue name nor an existing file (the message lists the
        catalogue), or the file is not a valid design.

    Examples
    --------
    >>> t1 = load_design("T1")
    >>> type(t1).__name__, t1.arm_names, t1.n_total
    ('SurvivalDesign', ['combination', 'pharmacotherapy'], 92)
    >>> load_design("t3").arm_names
    ['pdt', 'sertraline', 'placebo']
    """
    if not isinstance(source, str | os.PathLike):
        raise InvalidParameterError(
            f"`source` must be a catalogue name or a design file path; got "
            f"{type(source).__name__}."
        )
    if isinstance(source, str) and _looks_like_a_name(source.strip()):
        catalogue = _catalogue_files()
        key = source.strip().lower()
        if key in catalogue:
            return design_from_dict(read_design(catalogue[key].read_text(encoding="utf-8")))
        if not Path(source).is_file():
            raise InvalidParameterError(
                f"`source` {source!r} is neither a design file nor a catalogue design; the "
                f"catalogue holds {', '.join(catalogue)}."
            )
    return design_from_dict(read_design(Path(source)))


def _title(text: str, name: str) -> str:
    """The first line of a catalogue file's comment header, without its ``NAME:`` prefix."""
    first = text.splitlines()[0] if text else ""
    if not first.startswith("#"):
        return ""
    title = first.lstrip("#").strip()
    head, sep, rest = title.partition(":")
    return rest.strip() if sep and head.strip().lower() == name else title


def list_designs():
    """The designs of the catalogue, one row each, in the order t1 ... t8, m1 ... m3.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (for :func:`load_design`), ``type`` (the design class), ``title`` (the
        first line of the file's comment header, which goes on to give the published figures),
        ``arms`` (arm names joined by ", "; empty for a meta-analysis, whose trials all have two
        arms) and ``n_total`` (patients).

    Examples
    --------
    >>> df = list_designs()
    >>> df["name"].tolist()
    ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 'm1', 'm2', 'm3']
    >>> df[df["name"] == "t4"][["type", "arms", "n_total"]].to_dict("records")
    [{'type': 'BinaryDesign', 'arms': 'pdt, fluoxetine', 'n_total': 51}]
    """
    import pandas as pd

    rows = []
    for name, path in _catalogue_files().items():
        text = path.read_text(encoding="utf-8")
        design = design_from_dict(read_design(text))
        rows.append({
            "name": name,
            "type": type_name(design),
            "title": _title(text, name),
            "arms": ", ".join(getattr(design, "arm_names", ())),
            "n_total": int(design.n_total),
        })
    return pd.DataFrame(rows, columns=["name", "type", "title", "arms", "n_total"])
