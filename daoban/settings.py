"""Configuration: ``config.yml`` plus environment overrides, validated once at start-up.

Thresholds, hours, hotline numbers and secrets belong here rather than in code, so a
centre can deploy without editing Python.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.loader import load_centre
from knowledge.schema import CentreProfile

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


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8000


class Settings(Section):
    knowledge: KnowledgeSettings
    store: StoreSettings
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()
    centre: CentreProfile


ENVIRONMENT_OVERRIDES = {
    "DAOBAN_DATA_DIR": ("knowledge", "data_dir"),
    "DAOBAN_CATALOGUE": ("knowledge", "catalogue"),
    "DATABASE_URL": ("store", "database_url"),
    "DAOBAN_HOST": ("server", "host"),
    "DAOBAN_PORT": ("server", "port"),
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
    raw["centre"] = load_centre(raw.get("centre"), str(path))
    settings = Settings.model_validate(raw)
    base = path.resolve().parent
    settings.knowledge.data_dir = (base / settings.knowledge.data_dir).resolve()
    settings.knowledge.catalogue = (base / settings.knowledge.catalogue).resolve()
    settings.store.database_url = _resolve_sqlite(settings.store.database_url, base)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, loaded on first use."""
    return load_settings()
