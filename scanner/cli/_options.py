"""Options shared by the data commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.errors import UsageProblem
from scanner.output.formats import Format, choose_format

JsonOpt = Annotated[bool, typer.Option("--json", help="Write one JSON document to stdout.")]
JsonlOpt = Annotated[
    bool, typer.Option("--jsonl", help="Write one JSON record per line, as results arrive.")
]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Write CSV rows.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the data to FILE (atomically: complete or not at all) instead of stdout.",
        dir_okay=False,
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display and no summary on stderr.")
]


def pick_format(json: bool, jsonl: bool, csv: bool, default: Format) -> Format:
    """The one format asked for, raising a usage error for conflicting flags."""
    return choose_format(json=json, jsonl=jsonl, csv=csv, default=default)


def usage(message: str) -> UsageProblem:
    """A usage problem to raise from a command body."""
    return UsageProblem(message)
