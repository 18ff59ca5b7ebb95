"""The store on SQLite and the real PostgreSQL: versions, reads, search and atomic rebuilds."""

from __future__ import annotations

import threading

import pytest

from knowledge.loader import LoadResult
from knowledge.store import KnowledgeStore, search_text


def _subset(kb: LoadResult, count: int) -> dict:
    return dict(list(kb.entries.items())[:count])


def test_build_then_read_back(store: KnowledgeStore, sample_kb: LoadResult) -> None:
    result = store.build(sample_kb.entries, source="sample")
    assert result.created and result.version.entry_count == len(sample_kb.entries)
    assert store.count() == len(sample_kb.entries)
    assert store.get("id-card-first") == sample_kb.entries["id-card-first"]
    assert store.get("no-such-slug") is None
    assert store.all_entries() == sample_kb.entries
    kinds = {row.kind for row in store.list()}
    assert kinds == {entry.kind for entry in sample_kb.entries.values()}
    assert all(row.kind == "event" for row in store.list(kind="event"))


def test_unchanged_content_records_no_new_version(store: KnowledgeStore, sample_kb: LoadResult) -> None:
    first = store.build(sample_kb.entries, source="sample")
    again = store.build(sample_kb.entries, source="sample")
    assert not again.created and again.version.id == first.version.id
    forced = store.build(sample_kb.entries, source="sample", force=True)
    assert forced.created and forced.version.id > first.version.id


def test_old_versions_are_pruned(store: KnowledgeStore, sample_kb: LoadResult) -> None:
    for count in range(5, 10):
        store.build(_subset(sample_kb, count), source=f"{count}")
    versions = store.versions()
    assert len(versions) == store.keep_versions
    assert store.active_version() == versions[-1] and store.count() == 9


def test_search_matches_aliases_and_treats_wildcards_literally(store: KnowledgeStore,
                                                               sample_kb: LoadResult) -> None:
    store.build(sample_kb.entries, source="sample")
    alias = sample_kb.entries["id-card-first"].aliases[0]
    assert "id-card-first" in [row.slug for row in store.search(alias)]
    for wildcard in ("%", "_"):  # literal characters: only entries that write them match
        assert {row.slug for row in store.search(wildcard)} == {
            slug for slug, entry in sample_kb.entries.items() if wildcard in search_text(entry)}
    assert store.search("'; DROP TABLE kb_entry; --") == []
    assert store.count() == len(sample_kb.entries)


def test_failed_rebuild_leaves_the_active_version(store: KnowledgeStore, sample_kb: LoadResult,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store.build(_subset(sample_kb, 10), source="ten")
    def explode(*_args: object) -> None:
        raise RuntimeError("disk full")
    monkeypatch.setattr(store, "_prune", explode)
    with pytest.raises(RuntimeError):
        store.build(sample_kb.entries, source="all")
    assert store.count() == 10 and len(store.versions()) == 1


def test_readers_never_see_half_a_rebuild(store: KnowledgeStore, sample_kb: LoadResult) -> None:
    small, large = _subset(sample_kb, 20), sample_kb.entries
    store.build(small, source="small")
    seen: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        reader = KnowledgeStore(str(store.engine.url.render_as_string(hide_password=False)))
        try:
            while not stop.is_set():
                seen.append(len(reader.all_entries()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for round_ in range(6):
            store.build(large if round_ % 2 == 0 else small, source=f"round {round_}", force=True)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert seen and set(seen) <= {len(small), len(large)}, sorted(set(seen))
