"""``scanner du PATH...``: the biggest directories, by bytes and files (du, dust, gdu)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import PathsArg, TreeOptions, tree_options

DepthOpt = Annotated[
    int,
    typer.Option(
        "--depth",
        "-d",
        min=0,
        metavar="N",
        help="Report directories down to N levels below each root (0 = the roots only; du -d). "
        "The walk itself goes all the way down.",
    ),
]
DirSortOpt = Annotated[
    str,
    typer.Option(
        "--sort",
        metavar="bytes|files",
        help="Order sibling directories by bytes (allocated with --disk-usage) or by files.",
    ),
]
ChildrenOpt = Annotated[
    int,
    typer.Option(
        "--top",
        min=1,
        metavar="N",
        help="On a terminal, show the N biggest subdirectories of each directory and fold "
        "the rest into one row.",
    ),
]


@tree_options
def du_command(
    paths: PathsArg = None,
    *,
    depth: DepthOpt = 1,
    sort: DirSortOpt = "bytes",
    top: ChildrenOpt = 10,
    tree: TreeOptions,
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Totals per directory below PATHs, down to --depth: on a terminal a tree with bars,
    biggest first; on a pipe or in a file du's own lines (SIZE<TAB>PATH, every directory
    kept, parents first); --json, --jsonl, --csv records with files, dirs, symlinks,
    bytes, disk_bytes, errors.

    What is counted (du --apparent-size semantics): the bytes are the apparent sizes of
    regular FILES ONLY (directories' own sizes are not added), each hard-linked inode once
    within each directory, as `du --apparent-size -b DIR` run on that directory alone
    reports it minus the directories' sizes. With --disk-usage the size is the allocated
    blocks of everything below, directories included, each inode once: exactly
    `du -B1 -s DIR`. Overlapping PATHs are counted once. Exit 1 when some entries could not
    be read (the totals are then a lower bound)."""
    import sys

    from scanner.cli._options import output_for
    from scanner.cli._walk_options import bad_value, walk_config
    from scanner.fs.jobs import DuJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    if sort not in ("bytes", "files"):
        raise bad_value(f"--sort takes bytes or files, not {sort!r}")
    # a tree for people on a terminal; du's lines where a program or a file reads them
    plain = output is not None or not sys.stdout.isatty()
    out = output_for(
        json, jsonl, csv, output, quiet, default=Format.TEXT if plain else Format.TABLE
    )
    config = walk_config(paths, tree, dir_totals=depth, largest=0)
    by = "disk_bytes" if tree.disk_usage and sort == "bytes" else sort
    job = DuJob(config, by=by, top=top, echo_errors=not quiet and out.fmt is not Format.JSONL)
    raise typer.Exit(execute(job, out))
