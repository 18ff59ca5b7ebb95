"""Process-wide logging: one format, and personal data (ID and phone numbers) masked in every record."""

from __future__ import annotations

import logging

from nlu.privacy import install_masking


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("faiss.loader", "jieba", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_masking()
