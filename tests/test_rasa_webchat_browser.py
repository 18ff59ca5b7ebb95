"""The real rasa-webchat widget (npm 1.0.1, ``make webchat``) in headless Chromium, talking to
our Socket.IO channel unchanged: embedded on another site, it asks, gets the answer, taps a
quick reply, and after a reload its follow-up question is answered in the same conversation.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.browser import require_file
from tests.paths import ROOT
from tests.servers import serving

pytestmark = pytest.mark.browser
BUNDLE = ROOT / "var" / "rasa-webchat" / "lib" / "index.js"
ARTIFACTS = ROOT / "test-artifacts"
WAIT = 30000


def page_for(server_url: str) -> str:
    options = {"selector": "#webchat", "initPayload": "你好", "socketUrl": server_url, "socketPath": "/socket.io/",
               "customData": {"language": "zh"}, "title": "导办", "subtitle": "示例区政务服务中心",
               "inputTextFieldHint": "请输入您要办的事", "embedded": True, "params": {"storage": "local"}}
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>示例网站</title></head><body>"
            "<div id='webchat' style='height:640px'></div><script src='/webchat.js'></script>"
            f"<script>WebChat.default({json.dumps(options, ensure_ascii=False)}, null);</script></body></html>")


def test_rasa_webchat_talks_to_our_socketio_channel(browser, server_url: str) -> None:  # type: ignore[no-untyped-def]
    bundle = require_file(BUNDLE, "make webchat").read_bytes()
    ARTIFACTS.mkdir(exist_ok=True)
    site = Starlette(routes=[  # the centre's website: another origin, embedding the widget as in production
        Route("/", lambda request: HTMLResponse(page_for(server_url))),
        Route("/webchat.js", lambda request: Response(bundle, media_type="text/javascript")),
    ])
    with serving(site) as site_url:
        converse(browser, site_url)


def converse(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 480, "height": 760}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(site_url + "/")
        answers = page.locator(".rw-response")
        answers.first.wait_for(timeout=WAIT)  # the reply to initPayload 你好
        page.fill(".rw-new-message", "开饭店要办啥")
        page.keyboard.press("Enter")
        page.locator(".rw-client", has_text="开饭店要办啥").wait_for(timeout=WAIT)
        page.locator(".rw-reply").first.wait_for(timeout=WAIT)  # quick replies from our buttons
        before = answers.count()
        reply = page.locator(".rw-reply").first
        title = reply.inner_text()
        reply.click()
        page.wait_for_function(f"document.querySelectorAll('.rw-response').length > {before}", timeout=WAIT)
        assert title and answers.count() > before
        texts = " ".join(answers.all_inner_texts())
        assert "办" in texts and "<" not in texts
        page.screenshot(path=str(ARTIFACTS / "rasa-webchat.png"), full_page=True)

        page.reload()  # the widget keeps its session_id; session_request asks for the same session again
        page.locator(".rw-client", has_text="开饭店要办啥").wait_for(timeout=WAIT)  # its history, from storage
        before = page.locator(".rw-response").count()
        page.fill(".rw-new-message", "要多少钱")  # only answerable in the same conversation: about the chosen item
        page.keyboard.press("Enter")
        new_replies = f"Array.from(document.querySelectorAll('.rw-response')).slice({before})" \
                      ".map(e => e.innerText).join(' ')"
        page.wait_for_function(f"{new_replies}.includes('收费')", timeout=WAIT)
        assert title in page.evaluate(new_replies)  # the fee of the item chosen before the reload
    finally:
        context.close()
