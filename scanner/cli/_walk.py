"""What the tree commands do once their options are parsed, without typer.

The typer commands (``scanner.cli.walk``, ``ext``) and the fast path
(:mod:`scanner.cli.fast`) both call :func:`run_walk` and :func:`run_ext` with the same
option groups (``scanner.cli._groups``), so both print the same bytes and exit alike;
``scan`` and ``du`` build their config with :func:`walk_config` too. The library is imported
inside the functions, to keep ``--help`` fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.cli._groups import ClusterOptions, DataOptions, TreeOptions
    from scanner.fs.config import WalkConfig
    from scanner.fs.extensions import ExtSort
    from scanner.fs.size_filter import SizeFilter
    from scanner.fs.sorting import EntrySort


def walk_config(paths: list[str] | None, tree: TreeOptions, **more: Any) -> WalkConfig:
    """The frozen ``WalkConfig`` for the shared tree options plus command-specific fields
    (``max_depth``, listing, ...). A bad value (``--size 1Q``, ``--regex '('``) is a usage
    error that names its option: one line and a hint, exit 3."""
    from scanner.cli._output import bad_value
    from scanner.errors import UsageProblem
    from scanner.fs.config import WalkConfig

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
            sizes=_sizes(tree.size),
            newer_than=_when(tree.changed_within, "--changed-within"),
            older_than=_when(tree.changed_before, "--changed-before"),
            gitignore=tree.gitignore,
            disk_usage=tree.disk_usage,
            pseudo_filesystems=tree.pseudo_fs,
            **more,
        )
    except UsageProblem as exc:
        raise bad_value(str(exc)) from None


def ext_config(
    paths: list[str] | None,
    tree: TreeOptions,
    *,
    max_depth: int | None,
    compound: bool,
    case_sensitive: bool,
    largest: int = 0,
) -> WalkConfig:
    """The ``WalkConfig`` of the commands that count extensions (ext, scan)."""
    return walk_config(
        paths,
        tree,
        max_depth=max_depth,
        compound_extensions=compound,
        case_sensitive=case_sensitive,
        largest=largest,
    )


def _sizes(texts: list[str] | None) -> tuple[SizeFilter, ...]:
    if not texts:  # the size filter's module is imported only when it is used
        return ()
    from scanner.fs.size_filter import SizeFilter

    return tuple(SizeFilter.parse(s) for s in texts)


def _when(text: str | None, option: str) -> float | None:
    if text is None:  # the time filter's module is imported only when it is used
        return None
    from scanner.fs.time_filter import parse_point_in_time

    return parse_point_in_time(text, option=option)


def ext_sort(value: str) -> ExtSort:
    """Parse ``--sort`` (a usage error for anything but count, bytes, name)."""
    from scanner.cli._output import bad_value
    from scanner.fs.extensions import ExtSort

    try:
        return ExtSort(value)
    except ValueError:
        raise bad_value(f"--sort takes count, bytes or name, not {value!r}") from None


def entry_sort(value: str | None) -> EntrySort | None:
    """Parse walk's ``--sort`` (path, size or mtime; None when not given)."""
    if value is None:
        return None
    from scanner.cli._output import bad_value
    from scanner.fs.sorting import EntrySort

    try:
        return EntrySort(value)
    except ValueError:
        raise bad_value(f"--sort takes path, size or mtime, not {value!r}") from None


def run_walk(
    paths: list[str] | None,
    tree: TreeOptions,
    data: DataOptions,
    *,
    max_depth: int | None = None,
    type_: list[str] | None = None,
    sort: str | None = None,
    reverse: bool = False,
    null: bool = False,
    clu: ClusterOptions | None = None,
) -> int:
    """``scanner walk``: stream the entries below ``paths`` (sorted at the end with
    ``sort``); the exit code."""
    from scanner.cli._cluster import on_cluster
    from scanner.cli._output import bad_value, usage
    from scanner.fs.jobs import WalkJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = data.output_for(default=Format.TEXT)
    if null and out.fmt is not Format.TEXT:
        raise usage("-0 prints plain paths: it cannot be combined with --json, --jsonl, --csv")
    choice = None if clu is None else clu.choice()
    order = entry_sort(sort)
    if reverse and order is None:
        raise bad_value("--reverse reverses a --sort order: add --sort path|size|mtime")
    with_metadata = out.fmt is not Format.TEXT or (order is not None and order.needs_stat)
    config = walk_config(
        paths,
        tree,
        max_depth=max_depth,
        types=frozenset(type_ or ()),
        listing=True,
        stat_files=with_metadata,  # plain listings run on d_type alone, as fd does
        stat_listed=with_metadata,
        largest=0,
    )
    echo = out.fmt is Format.TEXT and not out.quiet  # errors on stderr, as find prints them
    job = WalkJob(
        config, separator="\0" if null else "\n", echo_errors=echo, sort=order, reverse=reverse
    )
    return execute(on_cluster(job, choice), out)


def run_ext(
    paths: list[str] | None,
    tree: TreeOptions,
    data: DataOptions,
    *,
    sort: str = "count",
    top: int | None = None,
    compound: bool = False,
    case_sensitive: bool = False,
    max_depth: int | None = None,
    clu: ClusterOptions | None = None,
) -> int:
    """``scanner ext``: files and bytes per extension below ``paths``; the exit code."""
    from scanner.cli._cluster import on_cluster
    from scanner.fs.jobs import ExtJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = data.output_for(default=Format.TABLE)
    choice = None if clu is None else clu.choice()
    config = ext_config(
        paths, tree, max_depth=max_depth, compound=compound, case_sensitive=case_sensitive
    )
    job = ExtJob(config, order=ext_sort(sort), top=top, echo_errors=not out.quiet)
    return execute(on_cluster(job, choice), out)
