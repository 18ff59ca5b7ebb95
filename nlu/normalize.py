"""Text normalisation: what a citizen typed → one canonical form for understanding.

Traditional → simplified (OpenCC), full-width → half-width (NFKC), emoji and stray
spacing removed, punctuation unified. The original is kept beside it for logs and display.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

MAX_INPUT_CHARS = 2000
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\ufe0f\u200d\u20e3\U000e0020-\U000e007f]"
)
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")
_PUNCTUATION = str.maketrans({"。": ".", "、": ",", "“": '"', "”": '"', "‘": "'", "’": "'", "【": "[", "】": "]",
                              "《": "<", "》": ">", "～": "~", "…": "..."})
_REPEATED_PUNCTUATION = re.compile(r"([?!.,~])\1+")


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters → simplified (OpenCC ``t2s``)."""
    return _converter().convert(text)


def normalize(original: str) -> Normalized:
    """Normalise one message; overlong input is cut to ``MAX_INPUT_CHARS`` before any work."""
    text = original[:MAX_INPUT_CHARS]
    text = unicodedata.normalize("NFKC", text)
    text = _EMOJI.sub(" ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs"} or ch in "\n\t")
    text = simplified(text)
    text = text.translate(_PUNCTUATION).lower()
    text = _REPEATED_PUNCTUATION.sub(r"\1", text)
    text = _SPACE_BETWEEN_CJK.sub("", " ".join(text.split()))
    return Normalized(original=original, text=text.strip())
