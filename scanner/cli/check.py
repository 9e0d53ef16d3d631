"""``scanner check FILE...``: does each file exist, what is it, may I read or write it."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt

FilesArg = Annotated[list[str], typer.Argument(help="Files to check (never opened).")]


def check_command(
    files: FilesArg, json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False
) -> None:
    """Check that files exist and are readable. Exit 0 when all are readable, 1 otherwise."""
    options = dict(locals())  # the parsed options, before anything else is bound here
    from scanner.cli._check import run_check

    raise typer.Exit(run_check(**options))
