"""What walk, ext and check do once their options are parsed, without typer.

The typer commands (``scanner.cli.walk``, ``ext``, ``check``) and the fast path
(:mod:`scanner.cli.fast`) both call these, so both print the same bytes and exit alike.
The library is imported inside the functions, to keep ``--help`` fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.fs.config import WalkConfig
    from scanner.fs.extensions import ExtSort
    from scanner.output.formats import Format
    from scanner.runtime.command import Output


def walk_config(
    paths: list[str] | None,
    *,
    max_depth: int | None = None,
    hidden: bool = True,
    exclude: list[str] | None = None,
    follow: bool = False,
    one_file_system: bool = False,
    workers: int | None = None,
    **more: object,
) -> WalkConfig:
    """The frozen ``WalkConfig`` for the common options (their defaults are the commands')
    plus command-specific fields."""
    from scanner.fs.config import WalkConfig

    return WalkConfig(
        roots=tuple(paths or ["."]),
        max_depth=max_depth,
        hidden=hidden,
        excludes=tuple(exclude or ()),
        follow=follow,
        one_file_system=one_file_system,
        workers=workers,
        **more,  # type: ignore[arg-type]
    )


def ext_sort(value: str) -> ExtSort:
    """Parse ``--sort`` (a usage error for anything but count, bytes, name)."""
    from scanner.errors import UsageProblem
    from scanner.fs.extensions import ExtSort

    try:
        return ExtSort(value)
    except ValueError:
        raise UsageProblem(f"--sort takes count, bytes or name, not {value!r}") from None


def take_output(options: dict[str, Any], default: Format) -> Output:
    """The runtime's ``Output`` from the output options (``json``, ``jsonl``, ``csv``,
    ``output``, ``quiet``), taken out of ``options``."""
    from scanner.cli._output import output_for

    json, jsonl, csv = (bool(options.pop(name, False)) for name in ("json", "jsonl", "csv"))
    path, quiet = options.pop("output", None), bool(options.pop("quiet", False))
    return output_for(json, jsonl, csv, path, quiet, default=default)


def run_walk(
    paths: list[str] | None = None,
    *,
    type_: list[str] | None = None,
    null: bool = False,
    **options: Any,
) -> int:
    """``scanner walk``: stream the entries below ``paths``; the exit code. ``options``:
    the output options (:func:`take_output`) and those of :func:`walk_config`."""
    from scanner.cli._output import usage
    from scanner.fs.jobs import WalkJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = take_output(options, Format.TEXT)
    if null and out.fmt is not Format.TEXT:
        raise usage("-0 prints plain paths: it cannot be combined with --json, --jsonl, --csv")
    with_metadata = out.fmt is not Format.TEXT
    config = walk_config(
        paths,
        types=frozenset(type_ or ()),
        listing=True,
        stat_files=with_metadata,  # plain listings run on d_type alone, as fd does
        stat_listed=with_metadata,
        largest=0,
        **options,
    )
    echo = out.fmt is Format.TEXT and not out.quiet  # errors on stderr, as find prints them
    return execute(WalkJob(config, separator="\0" if null else "\n", echo_errors=echo), out)


def run_ext(
    paths: list[str] | None = None,
    *,
    sort: str = "count",
    top: int | None = None,
    compound: bool = False,
    case_sensitive: bool = False,
    **options: Any,
) -> int:
    """``scanner ext``: files and bytes per extension below ``paths``; the exit code.
    ``options``: the output options (:func:`take_output`) and those of :func:`walk_config`."""
    from scanner.fs.jobs import ExtJob
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    out = take_output(options, Format.TABLE)
    config = walk_config(
        paths,
        compound_extensions=compound,
        case_sensitive=case_sensitive,
        largest=0,
        **options,
    )
    return execute(ExtJob(config, order=ext_sort(sort), top=top, echo_errors=not out.quiet), out)
