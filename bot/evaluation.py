"""``daoban eval``: run JSON Lines cases (``../shared/eval-format.md``) through the assistant and
score its decisions, never its wording.

Every case starts a fresh conversation. Multi-turn cases run turn by turn through the same
engine; until the dialogue issue lands the engine keeps no state between turns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.decision import Decision
from nlu.sections import SECTIONS

OUTCOMES = {"answer", "clarify", "handoff", "out_of_scope", "smalltalk"}
EXPECT_KEYS = {"item", "section", "outcome", "target", "any"}


class EvalFormatError(ValueError):
    pass


@dataclass
class Case:
    id: str
    turns: list[tuple[str, dict]]  # (text, expectation)
    source: str


def _check_expectation(expect: object, where: str) -> dict:
    if not isinstance(expect, dict) or not expect:
        raise EvalFormatError(f"{where}: expect 应为非空对象")
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        raise EvalFormatError(f"{where}: 未知的 expect 键 {sorted(unknown)}")
    if "any" in expect:
        if not isinstance(expect["any"], list) or not expect["any"]:
            raise EvalFormatError(f"{where}: any 应为非空列表")
        for option in expect["any"]:
            _check_expectation(option, where)
    if expect.get("outcome") is not None and expect["outcome"] not in OUTCOMES:
        raise EvalFormatError(f"{where}: 未知的 outcome {expect['outcome']!r}")
    if expect.get("section") is not None and expect["section"] not in SECTIONS:
        raise EvalFormatError(f"{where}: 未知的 section {expect['section']!r}")
    if expect.get("target") is not None and expect["target"] not in {"hotline", "agent"}:
        raise EvalFormatError(f"{where}: 未知的 target {expect['target']!r}")
    return expect


def load_cases(paths: Iterable[Path]) -> list[Case]:
    cases, seen = [], set()
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalFormatError(f"{where}: 不是合法的 JSON：{exc}") from exc
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                raise EvalFormatError(f"{where}: 每行应为带 id 的对象")
            if raw["id"] in seen:
                raise EvalFormatError(f"{where}: id {raw['id']!r} 重复")
            seen.add(raw["id"])
            if "turns" in raw:
                turns = [(str(t["text"]), _check_expectation(t.get("expect"), where)) for t in raw["turns"]]
            else:
                turns = [(str(raw.get("text", "")), _check_expectation(raw.get("expect"), where))]
            cases.append(Case(raw["id"], turns, str(path)))
    return cases


def holds(expect: dict, got: Decision) -> bool:
    if "any" in expect:
        return any(holds(option, got) for option in expect["any"])
    outcome = expect.get("outcome") or ("answer" if "item" in expect else None)
    if outcome and got.outcome != outcome:
        return False
    if "item" in expect:
        if outcome == "clarify":
            if expect["item"] not in got.candidates:
                return False
        elif got.item != expect["item"]:
            return False
    if "section" in expect and got.section != expect["section"]:
        return False
    return not ("target" in expect and got.target != expect["target"])


def _allows(expect: dict, outcome: str) -> bool:
    if "any" in expect:
        return any(_allows(option, outcome) for option in expect["any"])
    return (expect.get("outcome") or ("answer" if "item" in expect else None)) == outcome


@dataclass
class TurnResult:
    id: str
    turn: int
    text: str
    expect: dict
    got: Decision
    passed: bool
    source: str

    def as_dict(self) -> dict:
        got = self.got.as_dict()
        got.pop("intent")
        got.pop("more")  # the format's ``got`` fields only: ``candidates`` are the options offered
        return {"id": self.id, "turn": self.turn, "text": self.text, "expect": self.expect, "got": got,
                "pass": self.passed}


@dataclass
class Report:
    results: list[TurnResult] = field(default_factory=list)
    cases: int = 0
    cases_passed: int = 0

    def summary(self) -> dict:
        r = self.results

        def rate(selected: list[TurnResult]) -> float | None:
            return round(sum(t.passed for t in selected) / len(selected), 4) if selected else None

        def precision(outcome: str) -> float | None:
            said = [t for t in r if t.got.outcome == outcome]
            return round(sum(_allows(t.expect, outcome) for t in said) / len(said), 4) if said else None

        def unanswered(selected: list[TurnResult]) -> float | None:
            return round(sum(t.got.outcome != "answer" for t in selected) / len(selected), 4) if selected else None

        plain = [t for t in r if "any" not in t.expect]
        return {
            "cases": self.cases, "cases_passed": self.cases_passed,
            "turns": len(r), "turns_passed": sum(t.passed for t in r),
            "item_accuracy": rate([t for t in plain if "item" in t.expect and t.expect.get("outcome") != "clarify"]
                                  + [t for t in r if "any" in t.expect and _allows(t.expect, "answer")]),
            "section_accuracy": rate([t for t in plain if "section" in t.expect]),
            "clarify_accuracy": rate([t for t in plain if t.expect.get("outcome") == "clarify"]),
            "out_of_scope_precision": precision("out_of_scope"),
            "out_of_scope_recall": rate([t for t in r if _allows(t.expect, "out_of_scope")]),
            # The "it almost never answers an uncovered question with a guide": of the
            # turns that expect out of scope, the share that got no guide answer.
            "uncovered_unanswered": unanswered([t for t in r if _allows(t.expect, "out_of_scope")]),
            "handoff_precision": precision("handoff"),
            "handoff_recall": rate([t for t in plain if t.expect.get("outcome") == "handoff"]),
        }

    def failures(self) -> list[TurnResult]:
        return [t for t in self.results if not t.passed]


def evaluate(cases: list[Case], respond: Callable[[], Callable[[str], Decision]]) -> Report:
    """``respond()`` starts a fresh conversation and returns its turn function."""
    report = Report(cases=len(cases))
    for case in cases:
        conversation = respond()
        passed = True
        for number, (text, expect) in enumerate(case.turns):
            decision = conversation(text)
            ok = holds(expect, decision)
            passed &= ok
            report.results.append(TurnResult(case.id, number, text, expect, decision, ok, case.source))
        report.cases_passed += passed
    return report


def format_report(report: Report) -> list[str]:
    """Per file: the rates and the failures (id, text, expected, got); the last line is the summary."""
    lines = []
    for source in dict.fromkeys(t.source for t in report.results):
        part = Report(results=[t for t in report.results if t.source == source])
        ids = {t.id for t in part.results}
        part.cases = len(ids)
        part.cases_passed = len(ids - {t.id for t in part.failures()})
        lines.append(f"== {source}")
        lines.extend(f"  {key}: {value}" for key, value in part.summary().items())
        for t in part.failures():
            got = t.got
            lines.append(f"  FAIL {t.id}#{t.turn} {t.text!r} expected {json.dumps(t.expect, ensure_ascii=False)} "
                         f"got {got.outcome} {got.item or ''} {got.section or ''} {got.target or ''} "
                         f"{got.candidates} {got.confidence:.2f}")
    s = report.summary()
    lines.append("summary: " + " ".join(f"{key}={value}" for key, value in s.items()))
    return lines


def write_report(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"summary": report.summary(), "results": [t.as_dict() for t in report.results]}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
