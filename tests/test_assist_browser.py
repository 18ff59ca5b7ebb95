"""End to end in headless Chromium: a hotline agent follows a call on the assist page while the
ASR system posts the caller's words, confirms a situation and gets the tailored checklist.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import sign_in
from tests.conftest import STAFF_PASSWORD
from tests.paths import ROOT
from tests.test_assist import LOST_ID_CALL

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
WAIT = 30000


def test_the_assist_page_follows_a_call(browser, server_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(server_url + "/console/assist")
        assert "/console/login" in page.url
        sign_in(page, "wang", STAFF_PASSWORD, "/console/assist")
        page.fill("#call-id", "call-77")
        page.click("#join button[type=submit]")
        page.locator("#live.on").wait_for(timeout=WAIT)

        with httpx.Client(base_url=server_url) as asr:  # the telephony side, posting as the logged-in agent
            asr.post("/api/console/login", json={"username": "wang", "password": STAFF_PASSWORD})
            assert asr.post("/api/assist", json={"call_id": "call-77", "segments": LOST_ID_CALL}).status_code == 200

        page.locator(".candidate.picked", has_text="居民身份证补领").wait_for(timeout=WAIT)
        assert "40元" in page.locator("#script").inner_text()
        assert page.locator("#transcript li").count() == len(LOST_ID_CALL)
        assert page.locator(".situation .heard").count() == 1  # 外省 heard, to be confirmed
        assert "完整清单" in page.locator("#tailored").inner_text()
        page.get_by_role("button", name="同时申请临时居民身份证").click()
        page.locator("#tailored", has_text="已按情形定制").wait_for(timeout=WAIT)
        assert "临时居民身份证申领登记表" in page.locator("#checklist").inner_text()
        assert "2026-09-20" in page.input_value("#sms-text")
        assert page.locator("#wo-kind").inner_text() == "咨询"

        page.fill("#say-text", "<img src=x onerror=alert(1)>我还要投诉窗口态度差")
        page.click("#say-send")
        page.locator("#wo-kind", has_text="投诉").wait_for(timeout=WAIT)
        assert page.locator("#transcript img").count() == 0  # text, never HTML
        page.fill("#sms-phone", "13812345678")
        page.click("#sms-send")
        page.locator("#notice.error", has_text="短信平台").wait_for(timeout=WAIT)  # none configured here
        page.screenshot(path=str(ARTIFACTS / "assist-page.png"), full_page=True)
    finally:
        context.close()
