"""``scanner walk PATH...``: stream matching entries as they are found (like find and fd)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._cluster_options import cluster_options
from scanner.cli._groups import ClusterOptions, DataOptions, TreeOptions
from scanner.cli._options import data_options
from scanner.cli._walk_options import MaxDepthOpt, PathsArg, tree_options

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
@cluster_options
@data_options
def walk_command(
    paths: PathsArg = None,
    *,
    max_depth: MaxDepthOpt = None,
    type_: TypeOpt = None,
    tree: TreeOptions,
    sort: EntrySortOpt = None,
    reverse: ReverseOpt = False,
    null: NullOpt = False,
    clu: ClusterOptions,
    data: DataOptions,
) -> None:
    """List entries below PATHs as found, like find and fd: a path per line, or records
    (--jsonl/--json/--csv). Filters (-e -g --regex -S --changed-*) choose what is listed
    and counted; -e -g --regex -S -E repeat. Exit 1 if some entries were unreadable."""
    from scanner.cli._walk import run_walk

    code = run_walk(
        paths,
        tree,
        data,
        max_depth=max_depth,
        type_=type_,
        sort=sort,
        reverse=reverse,
        null=null,
        clu=clu,
    )
    raise typer.Exit(code)
