"""Options shared by the tree commands (walk, ext, scan, du), declared once (the values
they give and the config built from them, without typer: ``scanner.cli._groups`` and
``scanner.cli._walk``)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._groups import TreeOptions
from scanner.cli._options import option_group

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
        help="Descend at most N levels (1 = children only).",
    ),
]
HiddenOpt = Annotated[
    bool,
    typer.Option(
        "--hidden/--no-hidden",
        show_default=False,
        help="Include dot-names (default) or skip them.",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        "-E",
        metavar="GLOB",
        help="Skip entries whose name or relative path matches.",
    ),
]
FollowOpt = Annotated[
    bool, typer.Option("--follow", "-L", help="Follow symlinks (loops are error records).")
]
OneFsOpt = Annotated[
    bool,
    typer.Option("--one-file-system", "-x", help="Stay on each root's file system (-xdev)."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-j",
        min=1,
        metavar="N",
        help="Concurrent scans (default: adaptive, up to 128).",
    ),
]

# --- fd/find filters and what a walk enters (walk, ext, scan, du: TreeOptions) -------------
# One line of --help each at 80 columns (walk --help stays under 45 lines); the README says
# the rest. -e, -g, --regex, -S and -E repeat.
ExtensionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--extension", "-e", metavar="EXT", help="Only files with this extension (py, tar.gz)."
    ),
]
GlobOpt = Annotated[
    list[str] | None,
    typer.Option("--glob", "-g", metavar="GLOB", help="Only names matching this glob (-name)."),
]
RegexOpt = Annotated[
    list[str] | None,
    typer.Option("--regex", metavar="REGEX", help="Only names containing a match (Python re)."),
]
IgnoreCaseOpt = Annotated[
    bool, typer.Option("--ignore-case", help="--glob/--regex in any case (find -iname).")
]
FullPathOpt = Annotated[
    bool, typer.Option("--full-path", help="--glob/--regex on the path, not the name.")
]
SizeFilterOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--size", "-S", metavar="SIZE", help="Only files of at least +N / at most -N: +1M, -10k."
    ),
]
ChangedWithinOpt = Annotated[
    str | None,
    typer.Option(
        "--changed-within", metavar="WHEN", help="Modified after WHEN: 2d, 3h, 2024-05-01."
    ),
]
ChangedBeforeOpt = Annotated[
    str | None,
    typer.Option("--changed-before", metavar="WHEN", help="Modified before WHEN (same forms)."),
]
GitignoreOpt = Annotated[
    bool,
    typer.Option("--gitignore", help="Skip what .gitignore/.ignore ignore, and .git."),
]
DiskUsageOpt = Annotated[
    bool, typer.Option("--disk-usage", help="Also count allocated blocks, as du -B1.")
]
PseudoFsOpt = Annotated[
    bool,
    typer.Option("--pseudo-fs", help="Enter /proc, /sys, /dev, /run (skipped by default)."),
]


#: The parameters ``tree_options`` puts in the place of a command's ``tree``, in --help order.
_TREE_PARAMS: tuple[tuple[str, object], ...] = (
    ("extension", ExtensionOpt),
    ("glob", GlobOpt),
    ("regex", RegexOpt),
    ("ignore_case", IgnoreCaseOpt),
    ("full_path", FullPathOpt),
    ("size", SizeFilterOpt),
    ("changed_within", ChangedWithinOpt),
    ("changed_before", ChangedBeforeOpt),
    ("hidden", HiddenOpt),
    ("exclude", ExcludeOpt),
    ("gitignore", GitignoreOpt),
    ("follow", FollowOpt),
    ("one_file_system", OneFsOpt),
    ("pseudo_fs", PseudoFsOpt),
    ("disk_usage", DiskUsageOpt),
    ("workers", WorkersOpt),
)

#: Declare the shared tree options once: a command takes ``tree: TreeOptions`` and typer
#: sees, in its place, one parameter per option (``_TREE_PARAMS``).
tree_options = option_group("tree", TreeOptions, _TREE_PARAMS)


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
