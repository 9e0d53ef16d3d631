"""Options shared by the tree commands (walk, ext, scan), declared once, and the config
they build."""

from __future__ import annotations

from typing import Annotated

import typer

PathsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[PATH]...", help="Directories (or files) to walk; default: the current directory."
    ),
]
MaxDepthOpt = Annotated[
    int | None,
    typer.Option(
        "--max-depth",
        "-d",
        min=0,
        metavar="N",
        help="Descend at most this many levels (1 = direct children only).",
    ),
]
HiddenOpt = Annotated[
    bool,
    typer.Option(
        "--hidden/--no-hidden",
        help="Include dot-names (default) or skip them and what is below them.",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        "-E",
        metavar="GLOB",
        help="Skip entries whose name or root-relative path matches this glob (repeatable); "
        "excluded directories are not read.",
    ),
]
FollowOpt = Annotated[
    bool,
    typer.Option(
        "--follow", "-L", help="Follow symlinks (loops are detected and reported as errors)."
    ),
]
OneFsOpt = Annotated[
    bool,
    typer.Option(
        "--one-file-system", "-x", help="Do not descend into other file systems (mount points)."
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-j",
        min=1,
        metavar="N",
        help="Concurrent directory scans (default: adaptive, 1 on a fast disk, up to 128 "
        "on a slow network/FUSE file system).",
    ),
]
CompoundOpt = Annotated[
    bool, typer.Option("--compound", help="Count .tar.gz-style suffixes as one extension.")
]
CaseOpt = Annotated[
    bool,
    typer.Option("--case-sensitive", help="Keep the case of extensions (.JPG apart from .jpg)."),
]
SortOpt = Annotated[
    str,
    typer.Option(
        "--sort", metavar="count|bytes|name", help="Order extensions by count, bytes or name."
    ),
]
TopOpt = Annotated[
    int | None,
    typer.Option(
        "--top",
        min=1,
        metavar="N",
        help="Show the first N extensions and fold the rest into 'others'.",
    ),
]
