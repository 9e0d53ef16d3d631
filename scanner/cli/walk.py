"""``scanner walk PATH...``: stream matching entries as they are found (like find and fd)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import (
    ExcludeOpt,
    FollowOpt,
    HiddenOpt,
    MaxDepthOpt,
    OneFsOpt,
    PathsArg,
    WorkersOpt,
)

TypeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--type",
        "-t",
        metavar="f|d|l",
        help="List only files (f), directories (d) or symlinks (l); repeatable. "
        "Traversal is unchanged.",
    ),
]
NullOpt = Annotated[
    bool, typer.Option("--print0", "-0", help="Separate paths with NUL (for xargs -0).")
]


def walk_command(
    paths: PathsArg = None,
    *,
    max_depth: MaxDepthOpt = None,
    hidden: HiddenOpt = True,
    exclude: ExcludeOpt = None,
    type_: TypeOpt = None,
    follow: FollowOpt = False,
    one_file_system: OneFsOpt = False,
    workers: WorkersOpt = None,
    null: NullOpt = False,
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """List entries below PATHs as they are found: one path per line (exact bytes on a pipe,
    escaped on a terminal), NUL-separated with -0, or records with type, size and mtime
    (--jsonl, --json, --csv). A summary goes to stderr. Exit 1 when some entries could not
    be read."""
    options = dict(locals())  # the parsed options, before anything else is bound here
    from scanner.cli._walk import run_walk

    raise typer.Exit(run_walk(**options))
