"""Calibrate retrieval fusion and the decision settings on the development set, scoring each
setting with a cross-validated decision model.

    .venv/bin/python bench/calibrate.py

Each development question (the training sets of ``config.yml`` ``decision.training``) is
understood once, all channels' raw scores kept. Then settings are searched coordinate by
coordinate: for each, fusion is replayed for every question, the decision model is refitted
fold by fold (5-fold, as ``daoban train-decision`` reports) and every question decided by a
model that never saw it. The goal: the largest sum of the rates the issue sets floors for
(item accuracy, clarify accuracy, uncovered questions not answered with a guide), so that no
kind of question is sacrificed for a more numerous one; then the most cases passed. Paste the
printed settings into config.yml, then run ``daoban train-decision``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant, build_assistant  # noqa: E402
from bot.decision_training import Observation, cross_validate, observation  # noqa: E402
from bot.evaluation import Case, Report, load_cases  # noqa: E402
from daoban.settings import DecisionSettings, RetrievalSettings, load_settings  # noqa: E402
from nlu.pipeline import Understanding  # noqa: E402
from nlu.retrieval.hybrid import Channels, dense_not_needed  # noqa: E402

CACHE_URL = f"sqlite:///{ROOT / 'var' / 'bench-embeddings.db'}"
RATES = ("item_accuracy", "clarify_accuracy", "uncovered_unanswered")
GRID = {
    "dense_weight": [0.4, 0.5, 0.6, 0.7],
    "lexical_full": [0.3, 0.4, 0.5, 0.6, 0.7],
    "dense_floor": [0.78, 0.8, 0.82, 0.84],
    "dense_full": [0.92, 0.94, 0.95, 0.96],
    "entity_bonus": [0.0, 0.05, 0.1, 0.15, 0.2],
    "classifier_weight": [0.1, 0.2, 0.3, 0.4],
    "regularisation": [0.1, 0.3, 1.0, 3.0],
    "answer_probability": [0.5, 0.55, 0.6, 0.65, 0.7],
    "clarify_margin": [0.06, 0.08, 0.12, 0.15, 0.2],
    "bundle_margin": [0.0, 0.05, 0.1, 0.15, 0.2],
}


@dataclass
class Observed:
    assistant: Assistant  # the one whose knowledge the case was written for
    case: Case
    understanding: Understanding
    channels: Channels  # every channel's raw scores, dense included even where the cascade skips it
    named: list[int]


def observe(assistant: Assistant, cases: list[Case]) -> list[Observed]:
    retriever = assistant.understander.retriever
    observed = []
    for case in (c for c in cases if len(c.turns) == 1):
        understanding = assistant.understander.understand(case.turns[0][0])
        channels = retriever.channel_scores(understanding.search_text)
        channels.dense = retriever.dense_scores(understanding.search_text)
        observed.append(Observed(assistant, case, understanding, channels,
                                 retriever.named_positions(understanding.named_slugs())))
    return observed


def replay(observed: list[Observed], retrieval: RetrievalSettings, decision: DecisionSettings) -> Report:
    observations: list[Observation] = []
    for o in observed:
        retriever = o.assistant.understander.retriever
        channels = replace(o.channels, dense=None) if dense_not_needed(o.channels, retrieval) else o.channels
        u = replace(o.understanding, candidates=retriever.candidates(channels, o.named, retrieval),
                    channel_best=retriever.channel_best(channels))
        observed_case = observation(o.assistant, o.case, u, decision)
        if observed_case is not None:
            observations.append(observed_case)
    return cross_validate(decision, observations, 5, decision.regularisation)


def objective(report: Report) -> tuple[float, int]:
    """The sum of the floored rates (each kind of question counts alike, whatever its share of
    the set), then the most cases passed."""
    summary = report.summary()
    return round(sum(summary[key] or 0.0 for key in RATES), 4), report.cases_passed


def calibrate(observed: list[Observed], retrieval: RetrievalSettings, decision: DecisionSettings,
              rounds: int = 2) -> tuple[RetrievalSettings, DecisionSettings]:
    best = objective(replay(observed, retrieval, decision))
    for _ in range(rounds):
        improved = False
        for key, values in GRID.items():
            for value in values:
                r = retrieval.model_copy(update={key: value}) if key in RetrievalSettings.model_fields else retrieval
                d = decision.model_copy(update={key: value}) if key in DecisionSettings.model_fields else decision
                if r.dense_floor >= r.dense_full or r.dense_weight + r.classifier_weight > 1:
                    continue
                score = objective(replay(observed, r, d))
                if score > best:
                    best, retrieval, decision, improved = score, r, d, True
                    print(f"  {key}={value}: {best}", flush=True)
        if not improved:
            break
    return retrieval, decision


def show(name: str, report: Report) -> None:
    s = report.summary()
    print(f"{name}: passed {s['cases_passed']}/{s['cases']}, " + ", ".join(f"{key} {s[key]}" for key in RATES))


def main() -> None:
    settings = load_settings(environ={})
    settings.nlu.embedding_cache_url = settings.nlu.embedding_cache_url or CACHE_URL
    observed: list[Observed] = []
    for training in settings.decision.training:
        observed += observe(build_assistant(settings, training.kb or None), load_cases(training.files))
    show("config.yml as it is (5-fold cross-validated)", replay(observed, settings.nlu.retrieval, settings.decision))
    retrieval, decision = calibrate(observed, settings.nlu.retrieval, settings.decision)
    show("calibrated (5-fold cross-validated)", replay(observed, retrieval, decision))
    print("retrieval:", {k: getattr(retrieval, k) for k in GRID if k in RetrievalSettings.model_fields})
    print("decision:", {k: getattr(decision, k) for k in GRID if k in DecisionSettings.model_fields})


if __name__ == "__main__":
    main()
