"""The ``daoban`` command: knowledge-base maintenance and serving.

Commands stay thin: each parses options, calls one function of a domain package and
prints its result, so everything here is also usable (and tested) without a shell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from daoban.settings import get_settings

app = typer.Typer(help="导办 daoban: 政务服务导办助手", no_args_is_help=True)
kb_app = typer.Typer(help="知识库：校验、导入、构建、查看办事指南", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="输出运行日志")] = False) -> None:
    """Logging for every command: warnings by default, with ID and phone numbers masked."""
    import logging

    from daoban.logs import configure_logging

    configure_logging(logging.INFO if verbose else logging.WARNING)


@kb_app.command("validate")
def kb_validate(
    directory: Annotated[Path | None, typer.Argument(help="知识目录，默认为 config.yml 中的 data_dir")] = None,
    catalogue: Annotated[Path | None, typer.Option(help="目录文件，默认为 config.yml 中的 catalogue")] = None,
    check_catalogue: Annotated[
        bool, typer.Option("--catalogue-check/--no-catalogue-check", help="是否检查目录覆盖")
    ] = True,
) -> None:
    """Check schema and cross-references; exit 1 on any error."""
    from knowledge.catalogue import load_catalogue
    from knowledge.loader import load_directory
    from knowledge.validate import validate

    settings = get_settings()
    directory = directory or settings.knowledge.data_dir
    result = load_directory(directory)
    wanted = load_catalogue(catalogue or settings.knowledge.catalogue) if check_catalogue else None
    coverage = validate(result, wanted)
    for problem in result.problems:
        typer.echo(str(problem), err=problem.severity == "error")
    typer.echo(f"{len(result.entries)} entries loaded from {directory}")
    if coverage is not None:
        typer.echo(
            f"catalogue coverage: {coverage.covered}/{coverage.total} slugs; "
            f"{coverage.with_situations} items with situations"
        )
    errors = len(result.errors)
    typer.echo(f"{errors} errors, {len(result.problems) - errors} warnings")
    raise typer.Exit(1 if errors else 0)


def _print_problems(problems: list) -> None:  # list[Problem]
    for problem in problems:
        typer.echo(str(problem), err=problem.severity == "error")


def _store():
    from knowledge.store import KnowledgeStore

    settings = get_settings()
    store = KnowledgeStore(settings.store.database_url, keep_versions=settings.store.keep_versions)
    store.create_schema()
    return store


@kb_app.command("import")
def kb_import(
    files: Annotated[list[Path], typer.Argument(help="实施清单 .xlsx、办事指南 .docx/.html、问答表 .csv/.xlsx")],
    out: Annotated[Path, typer.Option("--out", help="输出目录（规范 YAML）")],
    slug_prefix: Annotated[str, typer.Option("--slug-prefix", help="slug 前缀，如 tpe-")] = "",
    keep_going: Annotated[bool, typer.Option("--keep-going", help="有错误时仍写出合格的条目")] = False,
) -> None:
    """Turn a centre's spreadsheets and documents into canonical YAML; exit 1 on any error."""
    from knowledge.importers.run import run_import

    result, written = run_import(files, out, slug_prefix, keep_going)
    _print_problems(result.problems)
    errors = len(result.errors)
    if errors and not written:
        typer.echo(f"{errors} errors: nothing written to {out}", err=True)
    typer.echo(f"{len(result.entries)} entries imported, {len(written)} files written to {out}; "
               f"{errors} errors, {len(result.problems) - errors} warnings")
    raise typer.Exit(1 if errors else 0)


@kb_app.command("build")
def kb_build(
    directory: Annotated[Path | None, typer.Argument(help="知识目录，默认为 config.yml 中的 data_dir")] = None,
    check_catalogue: Annotated[
        bool, typer.Option("--catalogue-check/--no-catalogue-check", help="是否检查目录覆盖")
    ] = True,
    force: Annotated[bool, typer.Option(help="内容未变也写入新版本")] = False,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="同时为检索预先计算向量（只算变化的部分）")] = True,
) -> None:
    """Validate the guides and load them into the store as a new version, atomically."""
    from knowledge.service import KnowledgeInvalid, build_store

    settings = get_settings()
    store = _store()
    try:
        outcome = build_store(store, directory or settings.knowledge.data_dir,
                              settings.knowledge.catalogue if check_catalogue else None, force=force)
    except KnowledgeInvalid as exc:
        _print_problems(exc.result.problems)
        typer.echo(f"{len(exc.result.errors)} errors: the store was not changed", err=True)
        raise typer.Exit(1) from exc
    version = outcome.build.version
    state = "built" if outcome.build.created else "unchanged"
    typer.echo(f"knowledge version {version.id} {state}: {version.entry_count} entries, "
               f"hash {version.content_hash[:12]}")
    if embed:
        from nlu.pipeline import warm_embeddings

        embedded = warm_embeddings(store.all_entries(), settings.nlu, settings.store.database_url)
        typer.echo(f"embeddings: {embedded} guide texts newly embedded")


@kb_app.command("show")
def kb_show(
    slug: Annotated[str, typer.Argument(help="条目 slug，如 id-card-reissue")],
    section: Annotated[str | None, typer.Option(help="只看某一部分：materials、fee、time_limit…")] = None,
    situation: Annotated[list[str] | None, typer.Option(help="情形选择 key=option，可重复")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出结构化答复 JSON")] = False,
) -> None:
    """Print the one-shot answer for one guide, as the text channels would send it."""
    from knowledge.answer import render_text
    from knowledge.service import answer_for
    from knowledge.tailoring import parse_choices

    settings = get_settings()
    try:
        answer = answer_for(_store().get, settings.centre, slug, focus=section, choices=parse_choices(situation))
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if answer is None:
        typer.echo(f"没有找到条目“{slug}”（先运行 daoban kb build？）", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    messages = render_text(answer, settings.answer.max_message_bytes)
    typer.echo("\n\n".join(messages))


@app.command("eval")
def evaluate_cases(
    files: Annotated[list[Path], typer.Argument(help="评测文件（JSON Lines，见 ../shared/eval-format.md）")],
    report: Annotated[Path | None, typer.Option("--report", help="把完整结果写成 JSON")] = None,
    kb: Annotated[list[Path] | None, typer.Option("--kb", help="知识目录（可重复），默认为 data_dir")] = None,
) -> None:
    """Run evaluation cases (single turns and conversations) through the conversation engine
    the channels use, and print accuracy figures and failures."""
    from bot.assistant import build_assistant
    from bot.dialogue.engine import Dialogue
    from bot.evaluation import EvalFormatError, evaluate, format_report, load_cases, write_report
    from bot.tracker import tracker_store_from_url

    try:
        cases = load_cases(files)
    except (OSError, EvalFormatError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    settings = get_settings()
    dialogue = Dialogue(build_assistant(settings, kb), tracker_store_from_url(None, 0), settings.dialogue)
    result = evaluate(cases, dialogue.conversation)
    for line in format_report(result):
        typer.echo(line)
    if report:
        write_report(result, report)


@app.command("train-decision")
def train_decision(
    files: Annotated[list[Path] | None, typer.Argument(
        help="评测文件（JSON Lines）；省略时使用 config.yml 的 decision.training")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="模型文件，默认为 config.yml 的 decision.model")] = None,
    kb: Annotated[list[Path] | None, typer.Option(
        "--kb", help="与 FILE 搭配的知识目录（可重复），默认为 data_dir")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="交叉验证折数")] = 5,
    repeats: Annotated[int, typer.Option("--repeats", min=1, max=50,
                                         help="交叉验证重复次数（每次重新分折），输出平均值与最低–最高")] = 1,
    regularisation: Annotated[float | None, typer.Option(
        "--c", min=0.001, help="逻辑回归的 C（越小越保守），默认为 decision.regularisation")] = None,
) -> None:
    """Fit the decision model on evaluation cases; print cross-validated figures first."""
    from bot.assistant import build_assistant
    from bot.decision_training import cross_validate, observe, part, spread, train
    from bot.evaluation import EvalFormatError, load_cases
    from daoban.settings import TrainingSet

    settings = get_settings()
    sets = [TrainingSet(files=files, kb=kb or [])] if files else settings.decision.training
    if not sets:
        typer.echo("没有训练用的评测文件：请给出 FILE，或在 config.yml 的 decision.training 中配置", err=True)
        raise typer.Exit(2)
    observations = []
    for training in sets:
        missing = [path for path in training.kb if not path.is_dir()]
        if missing:
            typer.echo(f"知识目录不存在：{missing[0]}（导入的数据请先运行 daoban kb import）", err=True)
            raise typer.Exit(2)
        try:
            cases = load_cases(training.files)
        except (OSError, EvalFormatError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        observations += observe(build_assistant(settings, training.kb or None), cases)
    c = regularisation or settings.decision.regularisation
    try:
        reports = [cross_validate(settings.decision, observations, folds, c, repeat) for repeat in range(repeats)]
        model = train(observations, [path for training in sets for path in training.files], c)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    keys = ("item_accuracy", "clarify_accuracy", "uncovered_unanswered")
    if repeats == 1:
        typer.echo(f"{len(observations)} cases the model decides; {folds}-fold cross-validated, C={c}:")
    else:
        typer.echo(f"{len(observations)} cases the model decides; {folds}-fold cross-validated {repeats} times "
                   f"(new folds each time), C={c}; mean (lowest-highest):")
    for training in sets:
        figures = spread([part(report, training.files).summary() for report in reports], keys)
        names = " ".join(path.name for path in training.files)
        typer.echo(f"  {names}: " + " ".join(f"{key}={_figure(figures[key], repeats)}" for key in keys))
    target = out or settings.decision.model
    model.save(target)
    typer.echo(f"written: {target}")


def _figure(figure: tuple[float, float, float] | None, repeats: int) -> str:
    """A cross-validated figure as printed: its value, or over repeats its mean (lowest-highest)."""
    if figure is None:
        return "None"
    mean, lowest, highest = figure
    return str(mean) if repeats == 1 else f"{mean} ({lowest}-{highest})"


@app.command("ask")
def ask(
    text: Annotated[str, typer.Argument(help="一句用户消息，例如 身份证丢了怎么补办")],
    explain: Annotated[bool, typer.Option("--explain", help="同时输出理解结果（意图、实体、候选）")] = False,
) -> None:
    """Send one message to the assistant (fresh conversation) and print its decision and reply."""
    import json

    from bot.assistant import build_assistant

    turn = build_assistant(get_settings()).respond(text)
    typer.echo(json.dumps(turn.decision.as_dict(), ensure_ascii=False))
    if explain:
        u = turn.understanding
        typer.echo(f"text: {u.text}  intents: {[(i, round(p, 2)) for i, p in u.intents[:3]]}  section: {u.section}")
        typer.echo(f"entities: {[(e.label, e.text) for e in u.entities]}")
        typer.echo("candidates: " + ", ".join(f"{c.slug} {c.score:.2f} (lex {c.lexical:.2f}, dense {c.dense:.3f})"
                                              for c in u.candidates[:5]))
    for message in turn.messages:
        typer.echo(message.text)
        for button in message.buttons:
            typer.echo(f"  [{button.title}] {button.payload}")


@app.command("chat")
def chat() -> None:
    """Talk to the assistant in the terminal, as a citizen would (one conversation; 输入编号点按钮，空行退出)."""
    from bot.assistant import build_assistant
    from bot.dialogue.engine import UserMessage, build_dialogue

    dialogue = build_dialogue(build_assistant(get_settings()))
    buttons: list = []
    typer.echo("导办助手（示例数据）。输入问题，按钮可输入编号，空行退出。")
    while True:
        try:
            text = input("您：").strip()
        except EOFError:
            break
        if not text:
            break
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1].payload
        turn = dialogue.handle(UserMessage(text, sender="terminal", channel="terminal"))
        buttons = [button for message in turn.messages for button in message.buttons]
        number = 0
        for message in turn.messages:
            typer.echo(f"导办：{message.text}")
            for button in message.buttons:
                number += 1
                typer.echo(f"  [{number}] {button.title}")


staff_app = typer.Typer(help="工作台账号", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def staff_add(
    username: Annotated[str, typer.Argument(help="登录名（字母、数字、._-）")],
    name: Annotated[str, typer.Option("--name", help="显示给市民的称呼，如“王工作人员”")],
    role: Annotated[str, typer.Option(help="agent（坐席）或 admin（管理员）")] = "agent",
) -> None:
    """Add a staff account for the console; the password comes from DAOBAN_STAFF_PASSWORD or a prompt."""
    import os

    from connectors.console.users import StaffStore

    if role not in ("agent", "admin"):
        raise typer.BadParameter("role 只能是 agent 或 admin")
    password = os.environ.get("DAOBAN_STAFF_PASSWORD") or typer.prompt("密码", hide_input=True,
                                                                        confirmation_prompt=True)
    store = StaffStore(get_settings().store.database_url)
    store.create_schema()
    try:
        store.add(username, name, role, password)  # type: ignore[arg-type]
    except ValueError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"已添加工作台账号 {username}（{name}，{role}）")


wechat_app = typer.Typer(help="微信公众号", no_args_is_help=True)
app.add_typer(wechat_app, name="wechat")


@wechat_app.command("menu")
def wechat_menu() -> None:
    """Print the menu (config.yml wechat.menu) as the JSON WeChat's menu/create API takes."""
    from connectors.wechat.menu import menu_json

    typer.echo(json.dumps(menu_json(get_settings().wechat.menu), ensure_ascii=False, indent=2))


@app.command("rasa-actions")
def rasa_actions(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口（Rasa 默认 5055）")] = 5055,
) -> None:
    """Serve our custom actions to an existing Rasa server (rasa-sdk action server)."""
    from connectors.rasa.action_server import serve_actions

    serve_actions(get_settings(), host, port)


export_app = typer.Typer(help="导出", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("rasa")
def export_rasa(
    out: Annotated[Path, typer.Argument(help="输出目录（Rasa 项目）")],
    action_url: Annotated[str, typer.Option(help="动作服务器地址")] = "http://localhost:5055/webhook",
) -> None:
    """Write a Rasa 3 project skeleton that calls our actions: nlu.yml, domain.yml, rules, endpoints.yml."""
    from connectors.rasa.export import export_project

    for path in export_project(get_settings(), out, action_url):
        typer.echo(str(path))


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
) -> None:
    """Serve the assistant: message API, Rasa channels, knowledge endpoints and pages."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("connectors.http_app:create_server", factory=True,
                host=host or settings.server.host, port=port or settings.server.port)


if __name__ == "__main__":
    app()
