"""``scanner scan PATH...``: the all-in-one tree report."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._cluster_options import cluster_options
from scanner.cli._groups import ClusterOptions, DataOptions, TreeOptions
from scanner.cli._options import data_options
from scanner.cli._walk_options import (
    CaseOpt,
    CompoundOpt,
    MaxDepthOpt,
    PathsArg,
    SortOpt,
    TopOpt,
    tree_options,
)

LargestOpt = Annotated[
    int, typer.Option("--largest", min=0, metavar="N", help="Show the N largest files.")
]
ErrorsOpt = Annotated[
    int,
    typer.Option("--errors", min=0, metavar="N", help="Show the first N errors (all are counted)."),
]
IntoArchivesOpt = Annotated[
    bool, typer.Option("--into-archives", help="Count archive members in the extension table.")
]


@tree_options
@cluster_options
@data_options
def scan_command(
    paths: PathsArg = None,
    *,
    largest: LargestOpt = 10,
    top: TopOpt = 20,
    sort: SortOpt = "count",
    errors: ErrorsOpt = 10,
    into_archives: IntoArchivesOpt = False,
    compound: CompoundOpt = False,
    case_sensitive: CaseOpt = False,
    max_depth: MaxDepthOpt = None,
    tree: TreeOptions,
    clu: ClusterOptions,
    data: DataOptions,
) -> None:
    """Report on the trees below PATHs: totals (files, dirs, bytes, errors, elapsed,
    entries/s), extensions, the largest files, the errors and the zip archives found (count,
    sizes, findings by severity). Exit 1 when some entries or archives could not be read."""
    from scanner.cli._cluster import on_cluster
    from scanner.cli._walk import ext_config, ext_sort
    from scanner.output.formats import Format
    from scanner.runtime.command import execute
    from scanner.scan import ScanJob, ScanOptions

    out = data.output_for(default=Format.TABLE)
    choice = clu.choice()
    config = ext_config(
        paths,
        tree,
        max_depth=max_depth,
        compound=compound,
        case_sensitive=case_sensitive,
        largest=largest,
    )
    job = ScanJob(
        config,
        options=ScanOptions(sort=ext_sort(sort), top=top, errors_shown=errors),
        into_archives=into_archives,
        # the report lists the errors too; a terminal user still hears of them as they happen
        echo_errors=not out.quiet and out.fmt is not Format.JSONL,
    )
    raise typer.Exit(execute(on_cluster(job, choice), out))
