"""Pushing messages outside a passive reply: WeChat's customer-service message API
(``message/custom/send``), for answers that miss the 5-second deadline or do not fit in one
reply. wechatpy's client does the calls and caches the access token until it expires;
``api_base_url`` points it at WeChat, or at a local fake in tests."""

from __future__ import annotations

import logging
from typing import Any

from wechatpy import WeChatClient

from daoban.settings import WeChatSettings
from nlu.privacy import mask_personal

log = logging.getLogger(__name__)


class CustomerServiceClient(WeChatClient):
    def __init__(self, app_id: str, app_secret: str, api_base_url: str, timeout: float = 5.0) -> None:
        super().__init__(app_id, app_secret, timeout=timeout)
        self.API_BASE_URL = api_base_url if api_base_url.endswith("/") else api_base_url + "/"

    def fetch_access_token(self) -> dict[str, Any]:
        """As wechatpy's, from ``api_base_url`` rather than a fixed address."""
        return self._fetch_access_token(url=self.API_BASE_URL + "token", params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    def push_texts(self, openid: str, texts: list[str]) -> None:
        """Send each text in order; a failure is logged (masked) and the rest still tried."""
        for text in texts:
            try:
                self.message.send_text(openid, text)
            except Exception as exc:  # the API refused or is unreachable: nothing to reply to now
                log.error("wechat: customer-service message to %s failed: %s", mask_personal(openid[:6]) + "…",
                          mask_personal(str(exc))[:300])


def customer_service(settings: WeChatSettings) -> CustomerServiceClient | None:
    """The client when an app id and secret are configured; without them late answers are lost
    (and logged), so a deployment should set both."""
    if not settings.app_id or not settings.app_secret:
        return None
    return CustomerServiceClient(settings.app_id, settings.app_secret, settings.api_base_url)
