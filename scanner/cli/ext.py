"""``scanner ext PATH...``: files and bytes per extension."""

from __future__ import annotations

from scanner.cli._cluster_options import ClusterFileOpt, ClusterOpt, ShareSecondsOpt
from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import (
    CaseOpt,
    CompoundOpt,
    ExcludeOpt,
    FollowOpt,
    HiddenOpt,
    MaxDepthOpt,
    OneFsOpt,
    PathsArg,
    SortOpt,
    TopOpt,
    WorkersOpt,
)


def ext_command(
    paths: PathsArg = None,
    *,
    sort: SortOpt = "count",
    top: TopOpt = None,
    compound: CompoundOpt = False,
    case_sensitive: CaseOpt = False,
    max_depth: MaxDepthOpt = None,
    hidden: HiddenOpt = True,
    exclude: ExcludeOpt = None,
    follow: FollowOpt = False,
    one_file_system: OneFsOpt = False,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    cluster_file: ClusterFileOpt = None,
    share_seconds: ShareSecondsOpt = None,
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Count files and bytes per extension below PATHs (case-folded; .bashrc has none),
    with an 'others' row after --top N and a total. Exit 1 when some entries could not be
    read."""
    import typer

    from scanner.cli._cluster_options import cluster_choice, on_cluster
    from scanner.cli._options import output_for
    from scanner.cli._walk_options import ext_sort, walk_config
    from scanner.fs.jobs import ExtJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = output_for(json, jsonl, csv, output, quiet, default=Format.TABLE)
    choice = cluster_choice(cluster, cluster_file, share_seconds)
    config = walk_config(
        paths,
        max_depth=max_depth,
        hidden=hidden,
        exclude=exclude,
        follow=follow,
        one_file_system=one_file_system,
        workers=workers,
        compound_extensions=compound,
        case_sensitive=case_sensitive,
        largest=0,
    )
    job = ExtJob(config, order=ext_sort(sort), top=top, echo_errors=not quiet)
    raise typer.Exit(execute(on_cluster(job, choice), out))
