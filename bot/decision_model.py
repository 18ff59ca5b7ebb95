"""The learned part of the decision: how likely the best-ranked guide is the right answer,
or whether the question needs a clarifying question or is not covered by any guide.

Fixed thresholds on one fused score could not tell an uncovered question (律师执业证) from a
colloquial covered one (闺女办身份正): both score in the middle. What separates them is how
the evidence agrees — whether lexical, dense and the guide classifier pick the same guide,
by what leads, how long the question is, what the intent model thinks. A multinomial
logistic regression over those features, fitted on the development set
(``daoban train-decision``), weighs them; it is small enough to store as JSON and to apply
with numpy in microseconds. Its cross-validated figures are in docs/understanding.md.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nlu.pipeline import Understanding
from nlu.retrieval.hybrid import CHANNELS, Candidate

# What the model can say about a question whose best guide is ``candidates[0]``:
ANSWER = "answer"  # the best guide is the right one
WRONG = "wrong"  # a guide covers it, but not the best-ranked one
CLARIFY = "clarify"  # ambiguous: the user should choose
OUT_OF_SCOPE = "out_of_scope"  # no guide covers it
LABELS = (ANSWER, WRONG, CLARIFY, OUT_OF_SCOPE)
FEATURES = (
    "top", "lead", "third", "length", "named_top", "top_elsewhere",
    *(f"{channel}_{part}" for channel in CHANNELS for part in ("top", "best", "lead", "agrees")),
    "intent_ask", "intent_out_of_scope", "intent_smalltalk",
)
UNKNOWN = math.nan  # a channel that did not run (cascade, ablation): imputed with the training mean


def features(u: Understanding, candidates: Sequence[Candidate], smalltalk_intents: Collection[str],
             elsewhere: Collection[str] = ()) -> list[float]:
    """The feature vector (in ``FEATURES`` order) of a question with at least one candidate;
    ``elsewhere``: the entries for services handled elsewhere (the best guide may be one).

    A channel that did not run is *unknown*, not zero: the dense channel is skipped exactly
    when the cheap channels agree, and zeros there would read as disagreement."""
    top = candidates[0]
    scores = [c.score for c in candidates[:3]] + [0.0, 0.0]
    values = [top.score, top.score - scores[1], scores[2], math.log1p(len(u.text)),
              float(top.slug in u.named_slugs()), float(top.slug in elsewhere)]
    for channel in CHANNELS:
        best = u.channel_best.get(channel)
        if best is None or math.isnan(getattr(top, channel)):  # did not run, or knows nothing of the top guide
            values += [UNKNOWN] * 4
            continue
        values += [getattr(top, channel), best.score, best.lead, float(best.slug == top.slug)]
    intents = dict(u.intents)
    values += [sum(p for name, p in intents.items() if name.startswith("ask")),
               intents.get("out_of_scope", 0.0),
               sum(intents.get(name, 0.0) for name in smalltalk_intents)]
    return values


def label(expect: dict, candidates: Sequence[Candidate], elsewhere: Collection[str] = ()) -> str | None:
    """What the model should have said for a development case; ``None`` for cases the rules
    decide (handoff, smalltalk) or that have no candidates. An uncovered question whose best
    guide is an entry for a service handled ``elsewhere`` (考驾照) was read right: *answer*."""
    if not candidates:
        return None
    options = expect.get("any", [expect])
    if any(option.get("outcome") == OUT_OF_SCOPE for option in options):
        return ANSWER if candidates[0].slug in elsewhere else OUT_OF_SCOPE
    if expect.get("outcome") == CLARIFY:
        return CLARIFY
    items = [option["item"] for option in options if option.get("outcome") in (None, ANSWER) and "item" in option]
    if items and len(items) == len(options):  # one guide, or any of several, answers it
        return ANSWER if candidates[0].slug in items else WRONG
    return None


@dataclass
class DecisionModel:
    """Standardisation and multinomial logistic regression, as plain numbers. A label the
    training cases lacked gets probability 0."""

    features: list[str]
    classes: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[list[float]]
    intercept: list[float]
    trained_on: dict = field(default_factory=dict)  # provenance: files, cases, date

    def probabilities(self, vector: Sequence[float]) -> dict[str, float]:
        x = (np.asarray(vector, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        x[np.isnan(x)] = 0.0  # unknown: the training mean
        logits = np.asarray(self.coef) @ x + np.asarray(self.intercept)
        exp = np.exp(logits - logits.max())
        return {name: 0.0 for name in LABELS} | dict(zip(self.classes, (exp / exp.sum()).tolist(), strict=True))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> DecisionModel:
        model = cls(**json.loads(path.read_text(encoding="utf-8")))
        if tuple(model.features) != FEATURES or not set(model.classes) <= set(LABELS):
            raise ValueError(f"{path}: trained for other features or labels; run daoban train-decision")
        return model


def fit(vectors: Sequence[Sequence[float]], labels: Sequence[str], regularisation: float = 1.0,
        trained_on: dict | None = None) -> DecisionModel:
    """Fit the model (scikit-learn) and keep only the numbers."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(vectors, dtype=float)
    if len(set(labels)) < 2:
        raise ValueError(f"the training cases need at least two kinds of outcome, not only {sorted(set(labels))}")
    with warnings.catch_warnings():  # a channel that never ran is an all-NaN column: handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        scaler = StandardScaler().fit(x)  # NaN (unknown) is left out of the mean and scale
    scaler.scale_[~np.isfinite(scaler.scale_) | (scaler.scale_ == 0)] = 1.0
    scaler.mean_[~np.isfinite(scaler.mean_)] = 0.0
    standard = np.nan_to_num(scaler.transform(x), nan=0.0)
    regression = LogisticRegression(C=regularisation, max_iter=5000).fit(standard, list(labels))
    coef, intercept = regression.coef_, regression.intercept_
    if len(regression.classes_) == 2:  # one logit for the second class: softmax over (0, logit)
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return DecisionModel(list(FEATURES), [str(c) for c in regression.classes_], scaler.mean_.tolist(),
                         scaler.scale_.tolist(), coef.tolist(), intercept.tolist(), trained_on or {})
