"""``scanner lab ...``: the built-in, reproducible workloads (generated trees, slow FS)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner import exit_codes
from scanner.cli._options import JsonOpt

if TYPE_CHECKING:
    from rich.table import Table

    from scanner.labs.tree import TreeManifest

app = typer.Typer(
    name="lab",
    help="Reproducible workloads for tests and benchmarks: generated trees, a slow file system.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("tree")
def tree_command(
    directory: Annotated[
        Path, typer.Argument(help="Where to build the tree (missing, empty, or generated before).")
    ],
    *,
    files: Annotated[int, typer.Option("--files", "-n", min=0, help="Regular files.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Seed: same seed, same tree.")] = 0,
    files_per_dir: Annotated[int, typer.Option(min=1, help="Mean files per directory.")] = 20,
    fanout: Annotated[int, typer.Option(min=1, help="Mean subdirectories per directory.")] = 6,
    max_depth: Annotated[int, typer.Option(min=1, help="Deepest directory level.")] = 8,
    large_files: Annotated[int, typer.Option(min=0, help="Sparse files of 1-4 GiB.")] = 2,
    hidden_dirs: Annotated[int, typer.Option(min=0, help="Directories named .something.")] = 3,
    empty_dirs: Annotated[int, typer.Option(min=0, help="Extra empty directories.")] = 5,
    symlinks: Annotated[int, typer.Option(min=0, help="Symlinks (some dangling).")] = 10,
    hardlinks: Annotated[int, typer.Option(min=0, help="Extra hard-link names.")] = 10,
    symlink_loop: Annotated[
        bool, typer.Option(help="Add a symlink cycle and a self-referential link.")
    ] = True,
    json: JsonOpt = False,
) -> None:
    """Generate a deterministic tree (sparse files) and print what a walk must find.

    Rerunning with the same options reuses the tree (a marker sits next to DIRECTORY).
    """
    import sys

    from scanner.labs.tree import TreeSpec, generate_tree
    from scanner.output.console import stderr_console, stdout_console
    from scanner.output.formats import dumps_pretty
    from scanner.output.schema import document

    spec = TreeSpec(
        files=files,
        seed=seed,
        files_per_dir=files_per_dir,
        fanout=fanout,
        max_depth=max_depth,
        large_files=min(large_files, files),
        hidden_dirs=hidden_dirs,
        empty_dirs=empty_dirs,
        symlinks=symlinks,
        symlink_loop=symlink_loop,
        hardlinks=min(hardlinks, files),
    )
    manifest = generate_tree(directory, spec)
    if json:
        sys.stdout.write(dumps_pretty(document("lab tree", manifest=manifest.to_json())))
        raise typer.Exit(exit_codes.OK)
    stdout_console().print(_manifest_table(manifest))
    how = f"generated in {manifest.elapsed_s:.2f} s" if manifest.generated else "reused"
    stderr_console().print(f"{how}: {manifest.root} (spec {manifest.spec_hash})")
    raise typer.Exit(exit_codes.OK)


def _manifest_table(manifest: TreeManifest) -> Table:
    from rich.table import Table

    from scanner.output.sanitize import display_name

    table = Table(title=display_name(manifest.root), title_justify="left")
    table.add_column("extension")
    table.add_column("files", justify="right")
    table.add_column("bytes", justify="right")
    for ext, count in sorted(manifest.extensions.items(), key=lambda kv: -kv[1].files):
        table.add_row(ext or "(none)", f"{count.files:,}", f"{count.bytes:,}")
    table.add_section()
    table.add_row("total files", f"{manifest.files:,}", f"{manifest.bytes:,}")
    table.add_row("visible files", f"{manifest.visible_files:,}", f"{manifest.visible_bytes:,}")
    table.add_row("dirs (visible)", f"{manifest.dirs:,} ({manifest.visible_dirs:,})", "")
    table.add_row("symlinks", f"{manifest.symlinks:,}", "")
    table.add_row("depth", str(manifest.depth), "")
    return table
