"""How much of a message the dense channel needs: ranking accuracy per query form.

    .venv/bin/python bench/dense_query_length.py [CHARS ...]

For each cap (default: 1000, 36, 30, 24) with and without the filler words (the ``filler``
lookup, nlu/data/fillers.yml), the share of the development set's item questions
(tests/eval, not tpe.jsonl) whose expected guide retrieval ranks first, overall and for
messages longer than 40 characters, and the encoder's time per message in that form (the best of three runs).
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
from nlu.pipeline import FILLER_LOOKUP, build_understander  # noqa: E402
from nlu.retrieval.dense_query import DenseQuery  # noqa: E402
from nlu.retrieval.encoders import Encoder  # noqa: E402

CACHE_URL = f"sqlite:///{ROOT / 'var' / 'bench-embeddings.db'}"
LONG = 40


def encoder_time(encoder: Encoder, query: str, repeats: int = 3) -> float:
    """Milliseconds to embed ``query``: the best of a few runs, as other work on the machine
    only ever adds time."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        encoder.queries([query])
        timings.append((time.perf_counter() - start) * 1000)
    return min(timings)


def main(caps: list[int]) -> None:
    settings = load_settings(environ={})
    entries = load_entries([settings.knowledge.data_dir])
    files = sorted(p for p in (ROOT / "tests" / "eval").glob("*.jsonl") if p.name != "tpe.jsonl")
    questions = [(c.turns[0][0], c.turns[0][1]["item"]) for c in load_cases(files)
                 if len(c.turns) == 1 and "item" in c.turns[0][1] and "outcome" not in c.turns[0][1]]
    print(f"{len(questions)} item questions, {sum(len(text) > LONG for text, _ in questions)} longer than {LONG}")
    understander = build_understander(entries, settings.nlu, CACHE_URL)
    retriever = understander.retriever
    if retriever.dense is None:
        raise SystemExit("no encoder loaded: nothing to measure")
    fillers = understander.training.lookups.get(FILLER_LOOKUP, [])
    for cap in caps:
        for dropped, words in (("", []), (", fillers left out", fillers)):
            retriever.dense_query = DenseQuery(understander.segmenter.words, words, cap)
            first = long_first = 0
            queries = []
            for text, slug in questions:
                u = understander.understand(text)
                right = bool(u.candidates) and u.candidates[0].slug == slug
                first += right
                long_first += right and len(u.text) > LONG
                queries.append(retriever.dense_query(u.search_text))
            encoded = sorted(encoder_time(retriever.dense.encoder, query) for query in queries)
            print(f"last {cap} characters{dropped}: first {first}/{len(questions)} "
                  f"({100 * first / len(questions):.1f} %), long ones {long_first}; embedded "
                  f"{statistics.mean(map(len, queries)):.1f} characters on average; dense channel "
                  f"p50 {statistics.median(encoded):.1f} ms, p99 {encoded[round(0.99 * (len(encoded) - 1))]:.1f} ms, "
                  f"max {encoded[-1]:.1f} ms", flush=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 36, 30, 24])
