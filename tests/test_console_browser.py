"""End to end in headless Chromium: a conversation started in the web widget is taken over in
the staff console, relayed both ways, and handed back to the bot. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser import sign_in
from tests.conftest import STAFF_PASSWORD
from tests.paths import ROOT
from tests.test_widget_browser import ask

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
WAIT = 30000


def test_a_widget_conversation_is_taken_over_in_the_console_and_handed_back(browser, server_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    citizen_context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="zh-CN")
    staff_context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    try:
        citizen = citizen_context.new_page()
        citizen.goto(server_url + "/")
        citizen.locator("#daoban-widget .launcher").click()
        ask(citizen, "护照怎么办")
        ask(citizen, "转人工")
        assert "转接人工" in citizen.locator("#daoban-widget .row.bot .bubble").last.inner_text()

        staff = staff_context.new_page()
        staff.goto(server_url + "/console")
        assert staff.url.endswith("/console/login")
        sign_in(staff, "wang", STAFF_PASSWORD, "/console")
        staff.locator("#live.on").wait_for(timeout=WAIT)
        waiting = staff.locator("#waiting .conversation")
        waiting.first.wait_for(timeout=WAIT)
        assert "护照" in waiting.first.inner_text()
        waiting.first.click()
        staff.locator("#guide h3", has_text="护照").wait_for(timeout=WAIT)
        staff.click("#take")
        staff.locator("#reply-text:enabled").wait_for(timeout=WAIT)

        citizen.locator("#daoban-widget .row.staff .bubble", has_text="王工作人员").wait_for(timeout=WAIT)
        staff.fill("#reply-text", "您好，请问是第一次办护照吗？")
        staff.click("#send")
        citizen.locator("#daoban-widget .row.staff .bubble", has_text="第一次办护照吗").wait_for(timeout=WAIT)

        citizen.locator("#daoban-widget textarea").fill("是第一次")
        citizen.keyboard.press("Enter")
        staff.locator("#transcript .line.user p", has_text="是第一次").wait_for(timeout=WAIT)
        staff.screenshot(path=ARTIFACTS / "console-takeover.png")
        citizen.screenshot(path=ARTIFACTS / "widget-with-staff.png")

        staff.click("#hand-back")
        citizen.locator("#daoban-widget .row.staff .bubble", has_text="智能助手继续").wait_for(timeout=WAIT)
        before = citizen.locator("#daoban-widget .row.bot").count()
        ask(citizen, "要多少钱")
        answer = "\n".join(citizen.locator("#daoban-widget .row.bot").all_inner_texts()[before:])
        assert "护照" in answer and "收费" in answer  # the bot again, still about the passport
        staff.locator("#hand-back:disabled").wait_for(timeout=WAIT)
    finally:
        citizen_context.close()
        staff_context.close()


def test_an_admin_manages_accounts_and_an_agent_cannot(browser, server_url: str, runtime) -> None:  # type: ignore[no-untyped-def]
    runtime.staff.add("boss", "李主任", "admin", "admin-pass-1")
    context = browser.new_context(viewport={"width": 1300, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(server_url + "/console/login")
        sign_in(page, "boss", "admin-pass-1", "/console")
        page.get_by_role("button", name="预约·帮办·留言").click()
        page.locator("#requests").wait_for(timeout=WAIT)  # tabs still switch with the 坐席助手 link among them
        page.get_by_role("button", name="账号管理").click()
        page.locator("#account-rows tr", has_text="wang").wait_for(timeout=WAIT)
        page.fill("#new-username", "zhao")
        page.fill("#new-name", "<b>赵</b>")
        page.fill("#new-password", "long-enough-1")
        page.click("#add-account button[type=submit]")
        row = page.locator("#account-rows tr", has_text="zhao")
        row.wait_for(timeout=WAIT)
        assert "<b>赵</b>" in row.inner_text()  # shown as text, not markup
        page.screenshot(path=str(ARTIFACTS / "console-accounts.png"))
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button").click()
        row.wait_for(state="detached", timeout=WAIT)

        agent = context.new_page()
        context.clear_cookies()
        agent.goto(server_url + "/console/login")
        sign_in(agent, "wang", STAFF_PASSWORD, "/console")
        agent.locator("#me", has_text="坐席").wait_for(timeout=WAIT)
        assert agent.get_by_role("button", name="账号管理").is_hidden()
    finally:
        context.close()
