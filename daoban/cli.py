"""The ``daoban`` command: knowledge-base maintenance and serving.

Commands stay thin: each parses options, calls one function of a domain package and
prints its result, so everything here is also usable (and tested) without a shell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from daoban.settings import get_settings

app = typer.Typer(help="导办 daoban: 政务服务导办助手", no_args_is_help=True)
kb_app = typer.Typer(help="知识库：校验、导入、构建、查看办事指南", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


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


if __name__ == "__main__":
    app()
