"""The web widget in headless Chromium against a real server: the demo page, a conversation
with buttons and a checklist card, history across reloads, 转人工, hostile text, keyboard use
and a phone-sized screen. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.paths import ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def page(browser, server_url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.goto(server_url + "/")
    yield page
    context.close()


def bot_rows(page) -> int:  # type: ignore[no-untyped-def]
    return page.locator("#daoban-widget .row.bot").count()


def wait_for_reply(page, before: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "n => document.querySelector('#daoban-widget').shadowRoot.querySelectorAll('.row.bot').length > n",
        arg=before, timeout=30000)
    page.locator("#daoban-widget .typing").wait_for(state="hidden", timeout=30000)


def ask(page, text: str) -> None:  # type: ignore[no-untyped-def]
    before = bot_rows(page)
    page.locator("#daoban-widget textarea").fill(text)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)


def test_a_citizen_asks_and_gets_a_checklist_card(page) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    launcher = page.locator("#daoban-widget .launcher")
    assert launcher.is_visible() and page.locator("#daoban-widget .panel").is_hidden()
    page.screenshot(path=ARTIFACTS / "widget-closed.png")
    launcher.click()
    textarea = page.locator("#daoban-widget textarea")
    assert textarea.evaluate("node => node.getRootNode().activeElement === node")  # focus moves to the input
    assert page.locator("#daoban-widget .log").get_attribute("role") == "log"
    assert page.locator("#daoban-widget .log").get_attribute("aria-live") == "polite"
    ask(page, "护照要带什么材料")
    card = page.locator("#daoban-widget .card")
    card.wait_for()
    assert "护照" in card.locator("h3").inner_text() and card.locator("input[type=checkbox]").count() >= 2
    card.locator("label").first.click()
    assert card.locator("input[type=checkbox]").first.is_checked()
    assert "2026" in card.locator(".cite").inner_text()
    useful = page.locator("#daoban-widget button.reply", has_text="有用")
    assert useful.count() == 1 and useful.is_enabled()
    page.screenshot(path=ARTIFACTS / "widget-answer.png")
    useful.click()
    page.locator("#daoban-widget .row.bot .bubble", has_text="感谢您的评价").wait_for(timeout=30000)
    assert useful.is_disabled()  # old buttons cannot be tapped twice


def test_history_survives_a_reload_and_the_thread_goes_on(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#daoban-widget .launcher").click()
    ask(page, "公积金怎么取")
    options = page.locator("#daoban-widget button.reply:enabled")
    assert options.count() >= 2
    chosen = options.first.inner_text()
    options.first.click()
    page.locator("#daoban-widget .row.user .bubble", has_text=chosen).wait_for()
    page.locator("#daoban-widget .typing").wait_for(state="hidden", timeout=30000)
    rows = page.locator("#daoban-widget .row").count()
    sender = page.evaluate("() => JSON.parse(Object.entries(localStorage)[0][1]).sender")
    page.reload()
    page.locator("#daoban-widget .panel").wait_for()  # it was open: it opens again
    assert page.locator("#daoban-widget .row").count() == rows
    assert page.evaluate("() => JSON.parse(Object.entries(localStorage)[0][1]).sender") == sender
    ask(page, "多久能到账")
    last = page.locator("#daoban-widget .row.bot .bubble").last.inner_text()
    assert "时限" in last or "工作日" in last or "提取" in last  # still about the housing fund


def test_hostile_text_is_shown_as_text(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#daoban-widget .launcher").click()
    hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    ask(page, hostile)
    assert page.locator("#daoban-widget .row.user .bubble").last.inner_text() == hostile
    assert page.evaluate("() => window.__xss") is None
    images = "() => document.querySelector('#daoban-widget').shadowRoot.querySelectorAll('img').length"
    assert page.evaluate(images) == 0


def test_keyboard_only_and_the_agent_button(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#daoban-widget .launcher").focus()
    page.keyboard.press("Enter")
    before = bot_rows(page)
    page.keyboard.type("你好")
    page.keyboard.press("Enter")
    page.locator("#daoban-widget .tool.agent").click()  # while the greeting is on its way: queued, not lost
    wait_for_reply(page, before + 1)
    texts = page.locator("#daoban-widget .row.bot .bubble").all_inner_texts()
    assert "您好" in texts[-2] and "人工" in texts[-1]
    assert page.locator("#daoban-widget .row.user .bubble").all_inner_texts()[-2:] == ["你好", "转人工"]
    page.keyboard.press("Escape")
    assert page.locator("#daoban-widget .panel").is_hidden()
    assert page.locator("#daoban-widget .launcher").evaluate("n => n.getRootNode().activeElement === n")


def test_phone_sized_screen_uses_the_whole_screen(browser, server_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(server_url + "/")
        page.locator("#daoban-widget .launcher").tap()
        box = page.locator("#daoban-widget .panel").bounding_box()
        assert box is not None and box["width"] == 390 and box["height"] >= 800
        page.locator("#daoban-widget .tool", has_text="大字").tap()
        size = page.locator("#daoban-widget .panel").evaluate("n => getComputedStyle(n).fontSize")
        assert size == "19px"
        ask(page, "社保卡丢了怎么补")
        page.screenshot(path=ARTIFACTS / "widget-phone.png")
    finally:
        context.close()
