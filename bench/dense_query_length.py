"""How much of a message the dense channel needs: ranking accuracy per ``dense_query_chars``.

    .venv/bin/python bench/dense_query_length.py [CHARS ...]

For each cap (default: 1000, 48, 36, 30), the share of the development set's item questions
(tests/eval, not tpe.jsonl) whose expected guide retrieval ranks first, overall and for
messages longer than 40 characters, and the encoder's time per message at that cap.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import load_entries  # noqa: E402
from bot.evaluation import load_cases  # noqa: E402
from daoban.settings import load_settings  # noqa: E402
from nlu.pipeline import build_understander  # noqa: E402

CACHE_URL = f"sqlite:///{ROOT / 'var' / 'bench-embeddings.db'}"
LONG = 40


def main(caps: list[int]) -> None:
    settings = load_settings(environ={})
    entries = load_entries([settings.knowledge.data_dir])
    files = sorted(p for p in (ROOT / "tests" / "eval").glob("*.jsonl") if p.name != "tpe.jsonl")
    questions = [(c.turns[0][0], c.turns[0][1]["item"]) for c in load_cases(files)
                 if len(c.turns) == 1 and "item" in c.turns[0][1] and "outcome" not in c.turns[0][1]]
    print(f"{len(questions)} item questions, {sum(len(text) > LONG for text, _ in questions)} longer than {LONG}")
    for cap in caps:
        retrieval = settings.nlu.retrieval.model_copy(update={"dense_query_chars": cap})
        understander = build_understander(entries, settings.nlu.model_copy(update={"retrieval": retrieval}), CACHE_URL)
        retriever = understander.retriever
        first = long_first = 0
        encoding: list[float] = []
        for text, slug in questions:
            u = understander.understand(text)
            right = bool(u.candidates) and u.candidates[0].slug == slug
            first += right
            long_first += right and len(u.text) > LONG
            if retriever.dense is not None:
                retriever.dense.query_vector.cache_clear()
                start = time.perf_counter()
                retriever.dense_scores(u.search_text)
                encoding.append((time.perf_counter() - start) * 1000)
        encoded = sorted(encoding) or [0.0]
        print(f"last {cap} characters: first {first}/{len(questions)} ({100 * first / len(questions):.1f} %), "
              f"long ones {long_first}; dense channel p50 {statistics.median(encoded):.1f} ms, "
              f"max {encoded[-1]:.1f} ms")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 48, 36, 30])
