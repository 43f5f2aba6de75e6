"""Design of a body of trials for meta-analysis, with optional publication bias.

A :class:`MetaAnalysisDesign` describes k two-arm trials with a standardised outcome: per-trial
group sizes, a mean true standardised mean difference (``effect``, experimental minus control,
positive = benefit of the experimental treatment), between-trial heterogeneity ``tau`` (true effects
drawn from a normal distribution), and a selection model of publication: a trial whose own t-test
is significant at ``alpha`` in favour of the experimental treatment is published with probability
``p_publish_significant``, any other trial with ``p_publish_nonsignificant``.

The meta-analyses M1-M3 of the seed trials (5 trials with 435 patients, 23 with 1365, 53 with 2757)
are in the design catalogue: ``load_design("m1")`` etc.

>>> from workbench.design import MetaAnalysisDesign, load_design
>>> d = load_design("m1")
>>> d.k, d.n_total
(5, 435)
>>> MetaAnalysisDesign.from_dict(d.to_dict()) == d
True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int, check_positive, check_probability, check_real
from ..exceptions import InvalidParameterError
from ._load import design_fields, register_design_type

__all__ = ["MetaAnalysisDesign", "split_sizes"]

def split_sizes(n_total: int, k: int, *, seed: int, minimum: int = 12) -> tuple[int, ...]:
    """Split ``n_total`` patients into ``k`` trial sizes (each >= ``minimum``), deterministically.

    Sizes are proportional to lognormal draws (sd 0.5 on the log scale, as trial sizes in
    psychotherapy research vary) from ``numpy.random.default_rng(seed)``, rounded by largest
    remainder so they add up exactly.

    >>> sizes = split_sizes(435, 5, seed=1)
    >>> len(sizes), sum(sizes)
    (5, 435)
    """
    n_total = check_int("n_total", n_total, minimum=1)
    k = check_int("k", k, minimum=1)
    if n_total < k * minimum:
        raise InvalidParameterError(
            f"`n_total` must be at least k * minimum = {k * minimum}; got {n_total}.")
    w = np.exp(np.random.default_rng(seed).normal(0.0, 0.5, k))
    share = minimum + w / w.sum() * (n_total - k * minimum)
    base = np.floor(share).astype(int)
    rest = n_total - base.sum()
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return tuple(int(x) for x in base)


def _int_tuple(name: str, values, minimum: int) -> tuple[int, ...]:
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise InvalidParameterError(f"`{name}` must be a sequence of integers; got {values!r}.")
    out = tuple(check_int(name, v, minimum=minimum) for v in values)
    if not out:
        raise InvalidParameterError(f"`{name}` must hold at least one trial size; got [].")
    return out


@register_design_type
@dataclass(frozen=True)
class MetaAnalysisDesign:
    """k two-arm trials of a standardised outcome, with a selection model of publication.

    Parameters
    ----------
    n1 : sequence of int >= 2
        Patients in the experimental arm of each trial.
    n2 : sequence of int >= 2, optional
        Patients in the control arm (default: equal to ``n1``).
    effect : float, default 0.3
        Mean true standardised mean difference (experimental minus control; > 0 favours the
        experimental treatment).
    tau : float >= 0, default 0.0
        Standard deviation of the true effects across trials (random-effects model).
    p_publish_significant : float in [0, 1], default 1.0
        Probability that a trial significant in favour of the experimental arm is published.
    p_publish_nonsignificant : float in [0, 1], default 1.0
        Probability that any other trial is published.
    alpha : float in (0, 1), default 0.05
        Two-sided level of each trial's own t-test.
    name : str, default ""
    """

    n1: tuple[int, ...]
    n2: tuple[int, ...] | None = None
    effect: float = 0.3
    tau: float = 0.0
    p_publish_significant: float = 1.0
    p_publish_nonsignificant: float = 1.0
    alpha: float = 0.05
    name: str = ""

    def __post_init__(self):
        n1 = _int_tuple("n1", self.n1, 2)
        n2 = n1 if self.n2 is None else _int_tuple("n2", self.n2, 2)
        if len(n2) != len(n1):
            raise InvalidParameterError(
                f"`n2` must have one size per trial ({len(n1)}); got {len(n2)}.")
        object.__setattr__(self, "n1", n1)
        object.__setattr__(self, "n2", n2)
        object.__setattr__(self, "effect", check_real("effect", self.effect))
        object.__setattr__(self, "tau", check_positive("tau", self.tau, allow_zero=True))
        for name in ("p_publish_significant", "p_publish_nonsignificant"):
            object.__setattr__(self, name, check_probability(name, getattr(self, name),
                                                              closed=True))
        object.__setattr__(self, "alpha", check_probability("alpha", self.alpha))
        if not isinstance(self.name, str):
            raise InvalidParameterError(f"`name` must be a string; got {self.name!r}.")

    @property
    def k(self) -> int:
        """Number of trials."""
        return len(self.n1)

    @property
    def n_total(self) -> int:
        """Number of patients over all trials and both arms."""
        assert self.n2 is not None  # set to n1 when not given
        return int(sum(self.n1) + sum(self.n2))

    @property
    def selective(self) -> bool:
        """True when significant and other trials are published with different probabilities."""
        return self.p_publish_significant != self.p_publish_nonsignificant

    def with_selection(self, p_publish_significant: float = 1.0,
                       p_publish_nonsignificant: float = 1.0) -> MetaAnalysisDesign:
        """The same trials under another publication model."""
        return dataclasses.replace(self, p_publish_significant=p_publish_significant,
                                   p_publish_nonsignificant=p_publish_nonsignificant)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON/YAML-ready dictionary that :meth:`from_dict` turns back into the design."""
        assert self.n2 is not None  # set to n1 when not given
        return {"type": "MetaAnalysisDesign", "n1": list(self.n1), "n2": list(self.n2),
                "effect": self.effect, "tau": self.tau,
                "p_publish_significant": self.p_publish_significant,
                "p_publish_nonsignificant": self.p_publish_nonsignificant, "alpha": self.alpha,
                "name": self.name}

    @classmethod
    def from_dict(cls, d: dict) -> MetaAnalysisDesign:
        """The design from a dictionary such as :meth:`to_dict` writes."""
        return cls(**design_fields(cls, d))

    def to_json(self) -> str:
        """The design as JSON text (:meth:`to_dict`, indented)."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> MetaAnalysisDesign:
        """The design from JSON text such as :meth:`to_json` writes."""
        return cls.from_dict(json.loads(text))
