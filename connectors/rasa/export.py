"""``daoban export rasa DIR``: a Rasa 3 project skeleton that runs on our knowledge and calls
our custom actions (``daoban rasa-actions``): Rasa keeps the conversation and its own NLU;
every question goes to ``action_daoban_answer``, complaints and the like to
``action_daoban_work_order``, 转人工 to ``action_daoban_handoff``.

Written from the same training data our understanding uses (``nlu/data`` plus every
guide's asking texts), so the two never drift apart; re-export after the guides change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.assistant import load_entries
from bot.dialogue.payloads import BUTTON_INTENTS
from connectors.rasa.actions import ACTIONS, ANSWER, HANDOFF, SLOTS, WORK_ORDER
from daoban.settings import Settings
from nlu.intents import training_examples
from nlu.training_data import ANNOTATION, TrainingData, load_training_data

RASA_FORMAT = "3.1"
FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier: our engine decides what to say
PIPELINE = [
    {"name": "JiebaTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3},
    {"name": "DIETClassifier", "epochs": 100},
    {"name": "EntitySynonymMapper"},
    {"name": "FallbackClassifier", "threshold": 0.4},
]
README = """# Rasa project exported by daoban

Written by `daoban export rasa`; SAMPLE knowledge unless your centre replaced it.

1. Start our actions: `daoban rasa-actions --port 5055` (uses daoban's config.yml).
2. Train and run Rasa here: `rasa train && rasa run --enable-api`.

Every question goes to `action_daoban_answer` (answers, clarify buttons, situation questions,
follow-ups), complaints / reports / suggestions / praise to `action_daoban_work_order`
(a 12345 work order), 转人工 to `action_daoban_handoff`. Button payloads such as
`/choose_situation{"option": "local"}` come back to `action_daoban_answer`.
"""


class _Literal(str):
    """Written as a YAML literal block, as Rasa's ``examples: |`` are."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _examples(lines: list[str]) -> _Literal:
    """Rasa reads ``[text](entity)`` as an annotation: such lines are left out, not mangled."""
    kept = [" ".join(line.split()) for line in lines if line.strip() and not ANNOTATION.search(line)]
    return _Literal("".join(f"- {line}\n" for line in dict.fromkeys(kept)))


def nlu_document(training: TrainingData, intents: dict[str, list[str]]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"intent": name, "examples": _examples(lines)}
                                    for name, lines in sorted(intents.items()) if lines]
    canonical: dict[str, list[str]] = {}
    for variant, name in training.synonyms.items():
        canonical.setdefault(name, []).append(variant)
    blocks += [{"synonym": name, "examples": _examples(variants)} for name, variants in sorted(canonical.items())]
    blocks += [{"lookup": name, "examples": _examples(values)} for name, values in sorted(training.lookups.items())]
    blocks += [{"regex": name, "examples": _examples(patterns)} for name, patterns in sorted(training.regexes.items())]
    return {"version": RASA_FORMAT, "nlu": blocks}


def action_for(intent: str, settings: Settings) -> str:
    target = settings.decision.handoff_intents.get(intent)
    if target == "agent":
        return HANDOFF
    return WORK_ORDER if target == "hotline" else ANSWER


def rules_document(intents: list[str], settings: Settings) -> dict[str, Any]:
    rules = [{"rule": f"{intent} → {action_for(intent, settings)}",
              "steps": [{"intent": intent}, {"action": action_for(intent, settings)}]}
             for intent in [*intents, FALLBACK_INTENT]]
    return {"version": RASA_FORMAT, "rules": rules}


def domain_document(intents: list[str], settings: Settings) -> dict[str, Any]:
    return {
        "version": RASA_FORMAT,
        "intents": intents,
        "slots": {slot: {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}
                  for slot in SLOTS},
        "actions": [action.action_name for action in ACTIONS],
        "session_config": {"session_expiration_time": settings.dialogue.session_expiry_minutes,
                           "carry_over_slots_to_new_session": False},
    }


def export_project(settings: Settings, out: Path, action_url: str) -> list[Path]:
    """Write the project under ``out``; returns the files written."""
    training = load_training_data(settings.nlu.training_data)
    intents = training_examples(training.intents, load_entries([settings.knowledge.data_dir]))
    names = sorted({*intents, *BUTTON_INTENTS})
    documents: dict[str, dict[str, Any]] = {
        "data/nlu.yml": nlu_document(training, intents),
        "data/rules.yml": rules_document(names, settings),
        "domain.yml": domain_document(names, settings),
        "endpoints.yml": {"action_endpoint": {"url": action_url}},
        "credentials.yml": {"rest": None, "socketio": {"user_message_evt": "user_uttered",
                                                       "bot_message_evt": "bot_uttered",
                                                       "session_persistence": True}},
        "config.yml": {"recipe": "default.v1", "language": "zh", "assistant_id": "daoban",
                       "pipeline": PIPELINE, "policies": [{"name": "RulePolicy"}]},
    }
    written = []
    for name, document in documents.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
        written.append(path)
    readme = out / "README.md"
    readme.write_text(README, encoding="utf-8")
    return [*written, readme]
