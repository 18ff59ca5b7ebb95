"""Fitting the decision model on evaluation cases (``daoban train-decision``), and measuring
honestly how well it generalises: k-fold cross-validation replays every case's decision with
a model that never saw that case.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.assistant import Assistant
from bot.decision import CandidateRules, decide_with, settle_candidates
from bot.decision_model import DecisionModel, features, fit, label
from bot.evaluation import Case, Report, TurnResult, holds
from daoban.settings import DecisionSettings
from nlu.pipeline import Understanding
from nlu.retrieval.hybrid import Candidate


@dataclass
class Observation:
    case: Case
    understanding: Understanding
    candidates: list[Candidate]
    vector: list[float]
    label: str
    rules: CandidateRules  # of the assistant that understood it (each training set has its own knowledge)


def observe(assistant: Assistant, cases: Iterable[Case]) -> list[Observation]:
    """Understand every single-turn case the model decides (not handoff or smalltalk ones)."""
    observations = []
    for case in cases:
        if len(case.turns) == 1:
            u = assistant.understander.understand(case.turns[0][0])
            observed = observation(assistant, case, u, assistant.settings.decision)
            if observed is not None:
                observations.append(observed)
    return observations


def observation(assistant: Assistant, case: Case, u: Understanding, settings: DecisionSettings) -> Observation | None:
    """What the model sees of one understood case, and what it should conclude; ``None`` for
    cases it does not decide (bench/calibrate.py replays understanding under other settings)."""
    candidates = settle_candidates(u, settings, assistant.rules)
    target = label(case.turns[0][1], candidates, assistant.rules.elsewhere)
    if target is None:
        return None
    vector = features(u, candidates, settings.smalltalk_intents, assistant.rules.elsewhere)
    return Observation(case, u, candidates, vector, target, assistant.rules)


def train(observations: list[Observation], sources: Iterable[Path], regularisation: float = 1.0) -> DecisionModel:
    trained_on = {"files": sorted(Path(p).name for p in sources), "cases": len(observations),
                  "date": datetime.date.today().isoformat(), "regularisation": regularisation}
    return fit([o.vector for o in observations], [o.label for o in observations], regularisation, trained_on)


def fold(case: Case, folds: int, repeat: int = 0) -> int:
    """A stable fold per case id, so reruns give the same figures; each ``repeat`` deals the
    cases into folds anew (repeat 0 is the assignment the figures in the docs have always used)."""
    salt = f"{repeat}:" if repeat else ""
    return int.from_bytes(hashlib.sha256((salt + case.id).encode()).digest()[:4], "big") % folds


def cross_validate(settings: DecisionSettings, observations: list[Observation], folds: int = 5,
                   regularisation: float = 1.0, repeat: int = 0) -> Report:
    """Decide every case with a model fitted on the other folds; score as ``daoban eval`` would."""
    report = Report(cases=len(observations))
    assigned = [fold(o.case, folds, repeat) for o in observations]
    models = {k: fit([o.vector for o, f in zip(observations, assigned, strict=True) if f != k],
                     [o.label for o, f in zip(observations, assigned, strict=True) if f != k], regularisation)
              for k in range(folds)}
    for o, k in zip(observations, assigned, strict=True):
        p = models[k].probabilities(o.vector)
        got = decide_with(o.understanding, o.candidates, p, settings, o.rules)
        text, expect = o.case.turns[0]
        passed = holds(expect, got)
        report.cases_passed += passed
        report.results.append(TurnResult(o.case.id, 0, text, expect, got, passed, o.case.source))
    return report


def part(report: Report, files: Collection[Path]) -> Report:
    """The results of ``report`` that come from ``files`` (one training set's figures)."""
    sources = {str(path) for path in files}
    results = [t for t in report.results if t.source in sources]
    return Report(results=results, cases=len(results), cases_passed=sum(t.passed for t in results))


def spread(summaries: list[dict], keys: Iterable[str]) -> dict[str, tuple[float, float, float] | None]:
    """Mean, lowest and highest of each figure over repeated cross-validations (``None`` where
    the set has no such cases): a single fold assignment moves a figure by a case or two."""
    figures = {}
    for key in keys:
        values = [summary[key] for summary in summaries if summary[key] is not None]
        figures[key] = (round(sum(values) / len(values), 4), min(values), max(values)) if values else None
    return figures
