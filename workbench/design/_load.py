"""Reading any workbench design from a file or a dictionary, by its ``type`` field."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["load_design", "design_from_dict"]

_SUFFIXES = (".json", ".yaml", ".yml")


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


def _classes() -> dict[str, Any]:
    from .binary import BinaryDesign
    from .continuous import ContinuousDesign
    from .meta import MetaAnalysisDesign
    from .survival import SurvivalDesign

    return {c.__name__: c for c in (SurvivalDesign, BinaryDesign, ContinuousDesign, MetaAnalysisDesign)}


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
    classes = _classes()
    kind = d.get("type", "SurvivalDesign")
    if kind not in classes:
        raise InvalidParameterError(f"`type` must be one of {sorted(classes)}; got {kind!r}.")
    return classes[kind].from_dict(d)


def load_design(path):
    """Read a design from a ``.yaml``/``.yml`` or ``.json`` file, whatever its type."""
    return design_from_dict(read_design(Path(path)))
