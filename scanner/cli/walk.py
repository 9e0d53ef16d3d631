"""``scanner walk PATH...``: stream matching entries as they are found (like find and fd)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._cluster_options import ClusterFileOpt, ClusterOpt, ShareSecondsOpt
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
    cluster: ClusterOpt = None,
    cluster_file: ClusterFileOpt = None,
    share_seconds: ShareSecondsOpt = None,
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
    from scanner.cli._cluster_options import cluster_choice, on_cluster
    from scanner.cli._options import output_for, usage
    from scanner.cli._walk_options import walk_config
    from scanner.fs.jobs import WalkJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = output_for(json, jsonl, csv, output, quiet, default=Format.TEXT)
    choice = cluster_choice(cluster, cluster_file, share_seconds)
    if null and out.fmt is not Format.TEXT:
        raise usage("-0 prints plain paths: it cannot be combined with --json, --jsonl, --csv")
    with_metadata = out.fmt is not Format.TEXT
    config = walk_config(
        paths,
        max_depth=max_depth,
        hidden=hidden,
        exclude=exclude,
        follow=follow,
        one_file_system=one_file_system,
        workers=workers,
        types=frozenset(type_ or ()),
        listing=True,
        stat_files=with_metadata,  # plain listings run on d_type alone, as fd does
        stat_listed=with_metadata,
        largest=0,
    )
    echo = out.fmt is Format.TEXT and not quiet  # errors on stderr, as find prints them
    job = WalkJob(config, separator="\0" if null else "\n", echo_errors=echo)
    raise typer.Exit(execute(on_cluster(job, choice), out))
