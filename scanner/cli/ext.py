"""``scanner ext PATH...``: files and bytes per extension."""

from __future__ import annotations

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import (
    CaseOpt,
    CompoundOpt,
    MaxDepthOpt,
    PathsArg,
    SortOpt,
    TopOpt,
    TreeOptions,
    tree_options,
)


@tree_options
def ext_command(
    paths: PathsArg = None,
    *,
    sort: SortOpt = "count",
    top: TopOpt = None,
    compound: CompoundOpt = False,
    case_sensitive: CaseOpt = False,
    max_depth: MaxDepthOpt = None,
    tree: TreeOptions,
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

    from scanner.cli._options import output_for
    from scanner.cli._walk_options import ext_sort, walk_config
    from scanner.fs.jobs import ExtJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = output_for(json, jsonl, csv, output, quiet, default=Format.TABLE)
    config = walk_config(
        paths,
        tree,
        max_depth=max_depth,
        compound_extensions=compound,
        case_sensitive=case_sensitive,
        largest=0,
    )
    job = ExtJob(config, order=ext_sort(sort), top=top, echo_errors=not quiet)
    raise typer.Exit(execute(job, out))
