"""Reading Rasa 3 NLU training data (``nlu.yml``): intents, synonyms, lookup tables, regexes.

The format is Rasa's, so a centre's existing Rasa data can be reused as it is. Entity
annotations in examples (``[身份证](document)``, ``[社保卡]{"entity": "doc", "value": "社会保障卡"}``)
are stripped to plain text; an annotated ``value`` becomes a synonym, as Rasa does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]*\}))")


class TrainingDataError(ValueError):
    """A Rasa NLU file that cannot be read; the message names the file and the block."""


@dataclass
class TrainingData:
    intents: dict[str, list[str]] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant → canonical
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    def merge(self, other: TrainingData) -> None:
        for name, examples in other.intents.items():
            self.add_examples(name, examples)
        self.synonyms.update(other.synonyms)
        for name, values in other.lookups.items():
            self.lookups.setdefault(name, []).extend(v for v in values if v not in self.lookups[name])
        for name, patterns in other.regexes.items():
            self.regexes.setdefault(name, []).extend(p for p in patterns if p not in self.regexes[name])

    def add_examples(self, intent: str, examples: Iterable[str]) -> None:
        known = self.intents.setdefault(intent, [])
        seen = set(known)
        for example in examples:
            if example not in seen:
                known.append(example)
                seen.add(example)


def _strip_annotations(text: str, synonyms: dict[str, str]) -> str:
    def plain(match: re.Match[str]) -> str:
        surface = match.group("text")
        value = None
        if match.group("json"):
            try:
                value = json.loads(match.group("json")).get("value")
            except (json.JSONDecodeError, AttributeError):
                value = None
        elif match.group("entity") and ":" in match.group("entity"):
            value = match.group("entity").split(":", 1)[1]
        if value and value != surface:
            synonyms[surface] = str(value)
        return surface

    return ANNOTATION.sub(plain, text)


def _example_lines(block: dict, where: str) -> list[str]:
    """``examples`` is a ``- text`` block string, or a list of ``{text: ...}`` (with metadata)."""
    examples = block.get("examples")
    if isinstance(examples, str):
        lines = []
        for raw in examples.splitlines():
            line = raw.strip()
            if not line:
                continue
            if not line.startswith("- "):
                raise TrainingDataError(f"{where}: 每条例句应以“- ”开头：{line[:40]!r}")
            lines.append(line[2:].strip())
        return lines
    if isinstance(examples, list):
        return [str(item["text"]).strip() for item in examples if isinstance(item, dict) and item.get("text")]
    raise TrainingDataError(f"{where}: 缺少 examples")


def parse_nlu(document: object, source: str) -> TrainingData:
    """Parse one loaded Rasa 3 YAML document; other top-level keys (stories, rules) are ignored."""
    data = TrainingData()
    if not isinstance(document, dict):
        raise TrainingDataError(f"{source}: 不是 Rasa 训练数据（应为映射）")
    blocks = document.get("nlu") or []
    if not isinstance(blocks, list):
        raise TrainingDataError(f"{source}: nlu 应为列表")
    for number, block in enumerate(blocks, start=1):
        if not isinstance(block, dict):
            raise TrainingDataError(f"{source}: 第{number}块不是映射")
        kinds = [key for key in ("intent", "synonym", "lookup", "regex") if key in block]
        if len(kinds) != 1:
            raise TrainingDataError(f"{source}: 第{number}块应有且只有 intent/synonym/lookup/regex 之一")
        kind, name = kinds[0], str(block[kinds[0]])
        lines = _example_lines(block, f"{source}: {kind} {name}")
        if kind == "intent":
            data.add_examples(name, (_strip_annotations(line, data.synonyms) for line in lines))
        elif kind == "synonym":
            data.synonyms.update({variant: name for variant in lines if variant != name})
        elif kind == "lookup":
            data.lookups.setdefault(name, []).extend(lines)
        else:
            for pattern in lines:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise TrainingDataError(f"{source}: regex {name}: {exc}") from exc
            data.regexes.setdefault(name, []).extend(lines)
    return data


def load_training_data(paths: Iterable[Path]) -> TrainingData:
    """Read every ``.yml``/``.yaml`` file of the given files and folders, merged in name order."""
    data = TrainingData()
    for path in paths:
        files = sorted([*path.rglob("*.yml"), *path.rglob("*.yaml")]) if path.is_dir() else [path]
        for file in files:
            try:
                document = yaml.safe_load(file.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise TrainingDataError(f"{file}: YAML 格式错误：{exc}") from exc
            data.merge(parse_nlu(document, str(file)))
    return data
