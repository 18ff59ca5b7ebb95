"""The official account's menu in the JSON WeChat's ``menu/create`` API takes: CLICK buttons
carry their ``key`` (the press comes back as a CLICK event, read as the button's ``ask``),
VIEW buttons their ``url``; our own ``ask`` text stays on our side."""

from __future__ import annotations

from typing import Any

from daoban.settings import MenuButton

MAX_TOP, MAX_SUB = 3, 5  # WeChat's limits


def menu_json(buttons: list[MenuButton]) -> dict[str, Any]:
    if len(buttons) > MAX_TOP or any(len(b.sub_button) > MAX_SUB for b in buttons):
        raise ValueError(f"WeChat menus have at most {MAX_TOP} buttons with {MAX_SUB} sub-buttons each")
    return {"button": [_button(button) for button in buttons]}


def _button(button: MenuButton) -> dict[str, Any]:
    if button.sub_button:
        return {"name": button.name, "sub_button": [_button(sub) for sub in button.sub_button]}
    if button.url:
        return {"type": "view", "name": button.name, "url": button.url}
    if not button.key:
        raise ValueError(f"menu button {button.name!r} needs a key (CLICK), a url (VIEW) or sub-buttons")
    return {"type": "click", "name": button.name, "key": button.key}
