"""Options shared by the tree commands (walk, ext, scan), declared once, and the config
they build."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

if TYPE_CHECKING:  # the library is imported inside the functions, to keep --help fast
    from scanner.fs.config import WalkConfig
    from scanner.fs.extensions import ExtSort
    from scanner.fs.sorting import EntrySort

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


@dataclass(frozen=True, slots=True)
class TreeOptions:
    """The options every tree command shares (see ``tree_options``), as typed."""

    hidden: bool = True
    exclude: list[str] | None = None
    follow: bool = False
    one_file_system: bool = False
    workers: int | None = None
    extension: list[str] | None = None
    glob: list[str] | None = None
    regex: list[str] | None = None
    ignore_case: bool = False
    full_path: bool = False
    size: list[str] | None = None
    changed_within: str | None = None
    changed_before: str | None = None
    gitignore: bool = False
    disk_usage: bool = False
    pseudo_fs: bool = False


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

_F = TypeVar("_F", bound=Callable[..., Any])


def tree_options(func: _F) -> _F:
    """Declare the shared tree options once: the command takes ``tree: TreeOptions`` and
    typer sees, in its place, one parameter per option (``_TREE_PARAMS``)."""
    sig = inspect.signature(func, eval_str=True)
    defaults = TreeOptions()
    params: list[inspect.Parameter] = []
    for param in sig.parameters.values():
        if param.name != "tree":
            params.append(param)
            continue
        params += [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation,
                default=getattr(defaults, name),
            )
            for name, annotation in _TREE_PARAMS
        ]

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        tree = TreeOptions(**{name: kwargs.pop(name) for name, _ in _TREE_PARAMS})
        return func(*args, tree=tree, **kwargs)

    command.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    # typer reads the annotations too: the evaluated ones, not the module's strings
    command.__annotations__ = {p.name: p.annotation for p in params}
    return cast(_F, command)


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


def walk_config(paths: list[str] | None, tree: TreeOptions, **more: Any) -> WalkConfig:
    """The frozen ``WalkConfig`` for the shared tree options plus command-specific fields
    (``max_depth``, listing, ...). A bad value (``--size 1Q``, ``--regex '('``) is a usage
    error that names its option: one line and a hint, exit 3."""
    from scanner.errors import UsageProblem
    from scanner.fs.config import WalkConfig
    from scanner.fs.size_filter import SizeFilter
    from scanner.fs.time_filter import parse_point_in_time

    if tree.glob and tree.regex:
        raise bad_value("use either --glob or --regex, not both")
    patterns = tuple(tree.glob or tree.regex or ())
    for flag, on in (("--ignore-case", tree.ignore_case), ("--full-path", tree.full_path)):
        if on and not patterns:
            raise bad_value(f"{flag} applies to a pattern: add --glob GLOB or --regex REGEX")
    try:
        return WalkConfig(
            roots=tuple(paths or ["."]),
            hidden=tree.hidden,
            excludes=tuple(tree.exclude or ()),
            follow=tree.follow,
            one_file_system=tree.one_file_system,
            workers=tree.workers,
            include_extensions=frozenset(tree.extension or ()),
            patterns=patterns,
            regex=bool(tree.regex),
            ignore_case=tree.ignore_case,
            full_path=tree.full_path,
            sizes=tuple(SizeFilter.parse(s) for s in tree.size or ()),
            newer_than=_when(tree.changed_within, "--changed-within", parse_point_in_time),
            older_than=_when(tree.changed_before, "--changed-before", parse_point_in_time),
            gitignore=tree.gitignore,
            disk_usage=tree.disk_usage,
            pseudo_filesystems=tree.pseudo_fs,
            **more,
        )
    except UsageProblem as exc:
        raise bad_value(str(exc)) from None


def _when(text: str | None, option: str, parse: Callable[..., float]) -> float | None:
    return None if text is None else parse(text, option=option)


def bad_value(message: str) -> Exception:
    """A usage error in a value (the message names the option): click's UsageError, which
    ``scanner.cli.main`` prints as one line and a hint, exit 3."""
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    return cast(Exception, usage_error(message))


def ext_sort(value: str) -> ExtSort:
    """Parse ``--sort`` (a usage error for anything but count, bytes, name)."""
    from scanner.errors import UsageProblem
    from scanner.fs.extensions import ExtSort

    try:
        return ExtSort(value)
    except ValueError:
        raise UsageProblem(f"--sort takes count, bytes or name, not {value!r}") from None


def entry_sort(value: str | None) -> EntrySort | None:
    """Parse walk's ``--sort`` (path, size or mtime; None when not given)."""
    from scanner.fs.sorting import EntrySort

    if value is None:
        return None
    try:
        return EntrySort(value)
    except ValueError:
        raise bad_value(f"--sort takes path, size or mtime, not {value!r}") from None
