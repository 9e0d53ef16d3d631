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


@app.command("slowfs")
def slowfs_command(
    source: Annotated[Path, typer.Argument(help="Directory to serve (read-only).")],
    mountpoint: Annotated[Path, typer.Argument(help="Empty directory to mount it on.")],
    *,
    latency: Annotated[
        str, typer.Option(help="Delay per getattr/readdir/readlink: 2ms, 500us, 0.1s.")
    ] = "2ms",
    delay_io: Annotated[bool, typer.Option(help="Delay open and read too.")] = False,
) -> None:
    """Mount SOURCE at MOUNTPOINT as a slow file system (FUSE) until Ctrl-C.

    Every metadata call waits the latency, as on NFS/SMB; the kernel caches nothing that
    would hide it. Exit 130 on Ctrl-C and 143 on SIGTERM (after unmounting), 0 when the
    mount is removed from outside (fusermount -u MOUNTPOINT).
    """
    import time

    from scanner.labs.slowfs import mount_slowfs
    from scanner.output.console import stderr_console
    from scanner.output.sanitize import display_name

    latency_s = parse_duration(latency)
    err = stderr_console()

    from scanner.runtime import signals

    signals.install()  # noted, not raised: the loop below looks at them while mounted
    code = exit_codes.OK
    mounted = None
    try:
        with mount_slowfs(source, mountpoint, latency_s, delay_io=delay_io) as lab:
            mounted = lab  # before the first line: a Ctrl-C right after it must report
            what = "getattr/readdir/readlink" + ("/open/read" if delay_io else "")
            err.print(
                f"slowfs: {display_name(str(lab.source))} mounted at "
                f"{display_name(str(lab.mountpoint))}, {latency_s * 1e3:g} ms per {what}; "
                "Ctrl-C unmounts",
                markup=False,
            )
            while lab.running() and not signals.pending:
                time.sleep(0.2)
    except KeyboardInterrupt:
        code = exit_codes.INTERRUPTED
    code = signals.exit_code() or code
    if mounted is not None and mounted.stats:
        calls = ", ".join(f"{n:,} {op}" for op, n in mounted.stats["calls"].items())
        err.print(
            f"slowfs: unmounted; answered {calls or 'nothing'} "
            f"(at most {mounted.stats['max_in_flight']} at once)",
            markup=False,
        )
    elif mounted is not None:
        # the server was stopped before it could report its counts (a signal raced it)
        err.print("slowfs: unmounted", markup=False)
    raise typer.Exit(code)


def parse_duration(text: str) -> float:
    """A lab latency: ``2ms`` → 0.002, read by :mod:`scanner.durations`; a unit is required
    (except for ``0``) so nothing is ambiguous, and it must be within 0..10 s."""
    from scanner.cli._output import usage
    from scanner.durations import UNITS, split_duration

    try:
        amount, unit = split_duration(text)
    except ValueError:
        raise usage(f"invalid duration {text!r}: use e.g. 2ms, 500us, 0.1s") from None
    if not unit and amount != 0:
        raise usage(f"duration {text!r} needs a unit: 2ms, 500us, 0.1s")
    seconds = amount * UNITS.get(unit, 1.0)
    if not 0 <= seconds <= 10:
        raise usage(f"duration {text!r} must be within 0..10 s")
    return seconds
