"""Reading Rasa 3 NLU files, and masking personal data before it reaches a log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from nlu.privacy import MaskingFilter, mask_personal
from nlu.training_data import TrainingDataError, load_training_data, parse_nlu
from tests.paths import ROOT

RASA_SAMPLE = """
version: "3.1"
nlu:
- intent: ask
  examples: |
    - [身份证](document)丢了怎么补办
    - 我的[社保卡]{"entity": "document", "value": "社会保障卡"}坏了
- intent: greet
  examples:
  - text: 你好
    metadata: {sentiment: neutral}
- synonym: 住房公积金
  examples: |
    - 公积金
    - gjj
- lookup: district
  examples: |
    - 民生街道
- regex: phone_number
  examples: |
    - 1[3-9]\\d{9}
rules:
- rule: ignored here
  steps: []
"""


def test_reads_every_rasa_block_kind() -> None:
    data = parse_nlu(yaml.safe_load(RASA_SAMPLE), "sample.yml")
    assert data.intents["ask"] == ["身份证丢了怎么补办", "我的社保卡坏了"]
    assert data.intents["greet"] == ["你好"]
    assert data.synonyms == {"公积金": "住房公积金", "gjj": "住房公积金", "社保卡": "社会保障卡"}
    assert data.lookups == {"district": ["民生街道"]}
    assert data.regexes == {"phone_number": [r"1[3-9]\d{9}"]}


@pytest.mark.parametrize(("text", "message"), [
    ("nlu: notalist", "nlu 应为列表"),
    ("nlu:\n- intent: a\n  synonym: b\n  examples: '- x'", "有且只有"),
    ("nlu:\n- intent: a\n  examples: |\n    no dash", "以“- ”开头"),
    ("nlu:\n- intent: a", "缺少 examples"),
    ("nlu:\n- regex: r\n  examples: |\n    - (unclosed", "regex r"),
    ("- just a list", "不是 Rasa 训练数据"),
])
def test_malformed_files_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(TrainingDataError, match=message):
        parse_nlu(yaml.safe_load(text), "bad.yml")


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu: [\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match=r"bad\.yml"):
        load_training_data([tmp_path])


def test_project_training_data_has_every_intent_the_policy_uses() -> None:
    data = load_training_data([ROOT / "nlu" / "data"])
    wanted = {"ask", "ask_materials", "ask_conditions", "ask_process", "ask_time_limit", "ask_fee", "ask_location",
              "ask_hours", "ask_online", "ask_all", "choose_option", "affirm", "deny", "request_human", "complaint",
              "report", "suggestion", "praise", "greet", "thank", "goodbye", "bot_identity", "out_of_scope"}
    assert wanted <= set(data.intents)
    assert all(len(data.intents[name]) >= 20 for name in wanted)
    assert {f"section_{s}" for s in ("materials", "fee", "time_limit", "online")} <= set(data.lookups)
    assert {"handoff_agent", "handoff_hotline", "district"} <= set(data.lookups)
    assert {"phone_number", "id_number", "date"} <= set(data.regexes)


@pytest.mark.parametrize(("text", "masked"), [
    ("我的身份证号是11010519491231002X，帮我查", "我的身份证号是110105********002X，帮我查"),
    ("电话13812345678", "电话138****5678"),
    ("手机 +86 138-1234-5678 找我", "手机 138****5678 找我"),
    ("座机0571-86001234", "座机0571-****1234"),
    ("办理时限20个工作日，收费40元", "办理时限20个工作日，收费40元"),
    ("work order cfff00087017407e87743214a4dc50ac", "work order cfff00087017407e87743214a4dc50ac"),
    ("work order 996895123456789429aa043fbc1bbe0e", "work order 996895123456789429aa043fbc1bbe0e"),
    ("旧身份证号110105491231002", "旧身份证号110105*****1002"),
    ("id=a13812345678b 或 tel:13812345678", "id=a13812345678b 或 tel:138****5678"),
])
def test_mask_personal(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("daoban.test.masking")
    caplog.handler.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("message from %s: %s", "13812345678", "身份证11010519491231002X")
    assert "13812345678" not in caplog.text and "11010519491231002X" not in caplog.text
    assert "138****5678" in caplog.text and "110105********002X" in caplog.text


def test_configured_logging_masks_every_handler() -> None:
    from daoban.logs import configure_logging

    root = logging.getLogger()
    configure_logging(logging.WARNING)
    assert root.handlers and all(any(isinstance(f, MaskingFilter) for f in h.filters) for h in root.handlers)
