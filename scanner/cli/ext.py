"""``scanner ext PATH...``: files and bytes per extension."""

from __future__ import annotations

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


@tree_options
@cluster_options
@data_options
def ext_command(
    paths: PathsArg = None,
    *,
    sort: SortOpt = "count",
    top: TopOpt = None,
    compound: CompoundOpt = False,
    case_sensitive: CaseOpt = False,
    max_depth: MaxDepthOpt = None,
    tree: TreeOptions,
    clu: ClusterOptions,
    data: DataOptions,
) -> None:
    """Count files and bytes per extension below PATHs (case-folded; .bashrc has none),
    with an 'others' row after --top N and a total. Exit 1 when some entries could not be
    read."""
    import typer

    from scanner.cli._walk import run_ext

    code = run_ext(
        paths,
        tree,
        data,
        sort=sort,
        top=top,
        compound=compound,
        case_sensitive=case_sensitive,
        max_depth=max_depth,
        clu=clu,
    )
    raise typer.Exit(code)
