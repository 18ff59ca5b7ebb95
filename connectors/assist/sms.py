"""Sending the caller the SMS the agent assist drafted, through the centre's SMS platform.

The platform's endpoint (``assist.sms_gateway_url``) receives ``{"phone", "text", "call_id"}``
as JSON, signed like work orders (``X-Daoban-Signature: sha256=HMAC(body)``) when
``assist.sms_secret`` is set. The phone number never reaches a log unmasked.
"""

from __future__ import annotations

import logging

import httpx

from bot.handoff.outbox import encode_body, signature
from nlu.privacy import mask_personal

log = logging.getLogger(__name__)
MOBILE_PATTERN = r"^1[3-9]\d{9}$"


class SmsFailed(Exception):
    """The SMS platform did not accept the message."""


class SmsGateway:
    def __init__(self, url: str, secret: str | None = None, timeout: float = 5.0) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout

    def send(self, phone: str, text: str, call_id: str | None) -> None:
        body = encode_body({"phone": phone, "text": text, "call_id": call_id})
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers["X-Daoban-Signature"] = signature(body, self.secret)
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout,
                                  follow_redirects=False)
        except httpx.HTTPError as error:
            log.warning("SMS to %s not sent: %s", mask_personal(phone), type(error).__name__)
            raise SmsFailed("短信平台连接失败") from error
        if not response.is_success:
            log.warning("SMS to %s refused: HTTP %d", mask_personal(phone), response.status_code)
            raise SmsFailed(f"短信平台拒绝发送（HTTP {response.status_code}）")
        log.info("SMS sent to %s (call %s)", mask_personal(phone), call_id)
