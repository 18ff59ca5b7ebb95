"""``daoban rasa-actions``: rasa-sdk's own action server (Sanic, ``POST /webhook``,
``GET /actions``, ``GET /health``) with our custom actions registered on the running
assistant. One process: the assistant is loaded once, before the first request."""

from __future__ import annotations

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from connectors.rasa.actions import ACTIONS
from connectors.runtime import Runtime, build_runtime
from daoban.settings import Settings


def action_app(runtime: Runtime, cors_origins: list[str]) -> Sanic:
    executor = ActionExecutor()
    for action in ACTIONS:
        executor.register_action(action(runtime))
    return create_app(executor, cors_origins=cors_origins)


def serve_actions(settings: Settings, host: str, port: int) -> None:
    runtime = build_runtime(settings)
    runtime.start_outbox()  # work orders filed by the actions are delivered from here too
    try:
        action_app(runtime, settings.server.cors_origins).run(host=host, port=port, single_process=True,
                                                              access_log=False, motd=False)
    finally:
        runtime.close()
