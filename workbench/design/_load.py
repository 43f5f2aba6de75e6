"""Reading any workbench design from a file or a dictionary, by its ``type`` field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..exceptions import InvalidParameterError

__all__ = ["load_design", "design_from_dict"]


def _classes() -> dict[str, Any]:
    from .binary import BinaryDesign
    from .continuous import ContinuousDesign
    from .meta import MetaAnalysisDesign
    from .survival import SurvivalDesign

    return {c.__name__: c for c in (SurvivalDesign, BinaryDesign, ContinuousDesign, MetaAnalysisDesign)}


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
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InvalidParameterError(f"design file {str(p)!r} does not exist.")
    text = p.read_text()
    try:
        d = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidParameterError(f"design file {str(p)!r} is not valid JSON/YAML: {exc}") from None
    return design_from_dict(d)
