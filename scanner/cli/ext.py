"""``scanner ext PATH...``: files and bytes per extension."""

from __future__ import annotations

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
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Count files and bytes per extension below PATHs (case-folded; .bashrc has none),
    with an 'others' row after --top N and a total. Exit 1 when some entries could not be
    read."""
    options = dict(locals())  # the parsed options, before anything else is bound here
    import typer

    from scanner.cli._walk import run_ext

    raise typer.Exit(run_ext(**options))
