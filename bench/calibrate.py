"""Calibrate retrieval fusion and decision thresholds on the development set.

    .venv/bin/python bench/calibrate.py

Each development question is understood once (both channels' raw scores kept); then
settings are searched coordinate by coordinate, replaying fusion and the decision for
every question. The goal: the largest sum of the rates the issue sets floors for (item accuracy,
uncovered questions not answered with a guide, clarify accuracy, handoff recall and
precision), so that no kind of question is sacrificed for a more numerous one; then the
most turns passed. To show how
much is fitted to the set, it also calibrates on one half of the cases and scores the
other half. Paste the printed settings into config.yml.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant, build_assistant  # noqa: E402
from bot.decision import decide  # noqa: E402
from bot.evaluation import Case, Report, TurnResult, holds, load_cases  # noqa: E402
from daoban.settings import DecisionSettings, RetrievalSettings, load_settings  # noqa: E402
from nlu.pipeline import Understanding  # noqa: E402
from nlu.retrieval.hybrid import Channels, dense_not_needed  # noqa: E402

CACHE_URL = f"sqlite:///{ROOT / 'var' / 'bench-embeddings.db'}"
FLOORS = {"item_accuracy": 0.95, "uncovered_unanswered": 0.97, "clarify_accuracy": 0.90,
          "handoff_recall": 1.0, "handoff_precision": 0.95}
GRID = {
    "dense_weight": [0.4, 0.5, 0.6, 0.7, 0.8],
    "lexical_full": [0.3, 0.4, 0.5, 0.6, 0.7],
    "dense_floor": [0.78, 0.8, 0.82, 0.84, 0.86],
    "dense_full": [0.92, 0.94, 0.95, 0.96, 0.97],
    "entity_bonus": [0.0, 0.05, 0.1, 0.15, 0.2],
    "classifier_weight": [0.0, 0.1, 0.2, 0.3, 0.4],
    "classifier_floor": [-1.0, -0.75, -0.5, -0.25, 0.0],
    "classifier_full": [0.25, 0.5, 0.75, 1.0],
    "answer_threshold": [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7],
    "answer_margin": [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15],
    "clarify_threshold": [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5],
    "clarify_margin": [0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2],
    "bundle_margin": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3],
    "short_question_chars": [0, 6, 8, 10, 12],
    "short_question_margin": [0.05, 0.1, 0.15, 0.2, 0.3, 0.4],
}


@dataclass
class Observed:
    case: Case
    understanding: Understanding
    channels: Channels  # every channel's raw scores, dense included even where the cascade skips it
    named: list[int]


def observe(assistant: Assistant, cases: list[Case]) -> list[Observed]:
    retriever = assistant.understander.retriever
    observed = []
    for case in cases:
        text, _ = case.turns[0]
        understanding = assistant.understander.understand(text)
        channels = retriever.channel_scores(understanding.search_text)
        if retriever.dense is not None:
            channels.dense = retriever.dense.scores(understanding.search_text)
        observed.append(Observed(case, understanding, channels, retriever.named_positions(understanding.named_slugs())))
    return observed


def replay(assistant: Assistant, observed: list[Observed], retrieval: RetrievalSettings,
           decision: DecisionSettings) -> Report:
    retriever = assistant.understander.retriever
    report = Report(cases=len(observed))
    for o in observed:
        channels = replace(o.channels, dense=None) if dense_not_needed(o.channels, retrieval) else o.channels
        u = replace(o.understanding, candidates=retriever.candidates(channels, o.named, retrieval))
        got = decide(u, decision, assistant.handoff_cues, assistant.bundles, assistant.bundle_cues)
        text, expect = o.case.turns[0]
        ok = holds(expect, got)
        report.cases_passed += ok
        report.results.append(TurnResult(o.case.id, 0, text, expect, got, ok, o.case.source))
    return report


def objective(report: Report) -> tuple[float, int]:
    """The sum of the floored rates (each kind of question counts alike, whatever its share of
    the set), then the most turns passed."""
    summary = report.summary()
    return round(sum(summary[key] or 0.0 for key in FLOORS), 4), report.cases_passed


def calibrate(assistant: Assistant, observed: list[Observed], retrieval: RetrievalSettings,
              decision: DecisionSettings, rounds: int = 3) -> tuple[RetrievalSettings, DecisionSettings]:
    best = objective(replay(assistant, observed, retrieval, decision))
    for _ in range(rounds):
        improved = False
        for key, values in GRID.items():
            for value in values:
                r = retrieval.model_copy(update={key: value}) if key in RetrievalSettings.model_fields else retrieval
                d = decision.model_copy(update={key: value}) if key in DecisionSettings.model_fields else decision
                if (r.dense_floor >= r.dense_full or r.classifier_floor >= r.classifier_full
                        or r.dense_weight + r.classifier_weight > 1):
                    continue
                score = objective(replay(assistant, observed, r, d))
                if score > best:
                    best, retrieval, decision, improved = score, r, d, True
        if not improved:
            break
    return retrieval, decision


def half(case: Case) -> int:
    return hashlib.sha256(case.id.encode()).digest()[0] % 2


def show(name: str, report: Report) -> None:
    s = report.summary()
    print(f"{name}: passed {s['cases_passed']}/{s['cases']}, item {s['item_accuracy']}, "
          f"clarify {s['clarify_accuracy']}, uncovered unanswered {s['uncovered_unanswered']}, "
          f"oos precision {s['out_of_scope_precision']} "
          f"recall {s['out_of_scope_recall']}, handoff recall {s['handoff_recall']}, section {s['section_accuracy']}")


def main() -> None:
    settings = load_settings(environ={})
    settings.nlu.embedding_cache_url = settings.nlu.embedding_cache_url or CACHE_URL
    assistant = build_assistant(settings)
    files = sorted(p for p in (ROOT / "tests" / "eval").glob("*.jsonl") if p.name != "tpe.jsonl")
    cases = [c for c in load_cases(files) if len(c.turns) == 1]
    observed = observe(assistant, cases)
    show("config.yml as it is", replay(assistant, observed, settings.nlu.retrieval, settings.decision))
    for fit, held in itertools.permutations((0, 1)):
        r, d = calibrate(assistant, [o for o in observed if half(o.case) == fit], settings.nlu.retrieval,
                         settings.decision)
        show(f"fitted on half {fit}, scored on half {held}",
             replay(assistant, [o for o in observed if half(o.case) == held], r, d))
    retrieval, decision = calibrate(assistant, observed, settings.nlu.retrieval, settings.decision)
    show("fitted on all", replay(assistant, observed, retrieval, decision))
    print("retrieval:", {k: getattr(retrieval, k) for k in GRID if k in RetrievalSettings.model_fields})
    print("decision:", {k: getattr(decision, k) for k in GRID if k in DecisionSettings.model_fields})


if __name__ == "__main__":
    main()
