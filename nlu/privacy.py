"""Masking personal data (resident ID numbers, phone numbers) before text is logged or stored.

Masking is plain regular expressions so it never depends on the NLU models being loaded:
every log record passes through :class:`MaskingFilter`, whatever raised it.
"""

from __future__ import annotations

import logging
import re

# 18-digit resident ID (6-digit area, birth date, sequence, check digit) and the old 15-digit form.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                       r"(?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
# Numbers stand apart from letters too: digit runs inside identifiers (work order uuids such
# as cfff00087017407e… or 996895123456789429aa…) are neither phone nor ID numbers.
MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![0-9A-Za-z])")
LANDLINE = re.compile(r"(?<![0-9A-Za-z-])(0\d{2,3})-?(\d{3,4})(\d{4})(?![0-9A-Za-z-])")


def mask_personal(text: str) -> str:
    """``11010519491231002X`` → ``110105********002X``-style masks; phones keep only the ends."""
    text = ID_NUMBER.sub(lambda m: m.group(0)[:6] + "*" * (len(m.group(0)) - 10) + m.group(0)[-4:], text)
    text = MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's message with personal data masked (arguments are merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


def install_masking(logger: logging.Logger | None = None) -> None:
    """Mask personal data in every record the given (default: root) logger's handlers emit."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
