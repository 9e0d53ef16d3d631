"""``scanner walk PATH...``: stream matching entries as they are found (like find and fd)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import MaxDepthOpt, PathsArg, TreeOptions, tree_options

TypeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--type",
        "-t",
        metavar="f|d|l",
        help="List only files, dirs or symlinks (f, d, l).",
    ),
]
NullOpt = Annotated[
    bool, typer.Option("--print0", "-0", help="Separate paths with NUL (for xargs -0).")
]
EntrySortOpt = Annotated[
    str | None,
    typer.Option(
        "--sort",
        metavar="path|size|mtime",
        help="List sorted at the end: by path, size or mtime.",
    ),
]
ReverseOpt = Annotated[bool, typer.Option("--reverse", help="Reverse the --sort order.")]


@tree_options
def walk_command(
    paths: PathsArg = None,
    *,
    max_depth: MaxDepthOpt = None,
    type_: TypeOpt = None,
    tree: TreeOptions,
    sort: EntrySortOpt = None,
    reverse: ReverseOpt = False,
    null: NullOpt = False,
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """List entries below PATHs as found, like find and fd: a path per line, or records
    (--jsonl/--json/--csv). Filters (-e -g --regex -S --changed-*) choose what is listed
    and counted; -e -g --regex -S -E repeat. Exit 1 if some entries were unreadable."""
    from scanner.cli._options import output_for, usage
    from scanner.cli._walk_options import bad_value, entry_sort, walk_config
    from scanner.fs.jobs import WalkJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = output_for(json, jsonl, csv, output, quiet, default=Format.TEXT)
    if null and out.fmt is not Format.TEXT:
        raise usage("-0 prints plain paths: it cannot be combined with --json, --jsonl, --csv")
    order = entry_sort(sort)
    if reverse and order is None:
        raise bad_value("--reverse reverses a --sort order: add --sort path|size|mtime")
    with_metadata = out.fmt is not Format.TEXT or (order is not None and order.needs_stat)
    config = walk_config(
        paths,
        tree,
        max_depth=max_depth,
        types=frozenset(type_ or ()),
        listing=True,
        stat_files=with_metadata,  # plain listings run on d_type alone, as fd does
        stat_listed=with_metadata,
        largest=0,
    )
    echo = out.fmt is Format.TEXT and not quiet  # errors on stderr, as find prints them
    job = WalkJob(
        config, separator="\0" if null else "\n", echo_errors=echo, sort=order, reverse=reverse
    )
    raise typer.Exit(execute(job, out))
