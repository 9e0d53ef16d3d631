"""The plainest command lines of ``walk``, ``ext`` and ``check``, run without typer.

Importing typer and click and building the app costs ~50 ms before a command starts,
paid on every call in loops and pipelines (``scanner walk DIR | ...``). A command line
made only of paths and a few flags that take no value needs no parser: this module reads
it and calls the same function the typer command calls (``scanner.cli._walk``,
``scanner.cli._check``) with the same option groups (``scanner.cli._groups``: the flags
given, every other option at its default), so both paths print the same bytes and exit
alike (tests/test_cli_fast_path.py runs each line both ways). Anything else — another
option (every filter, --sort, --hidden ...), an option value, ``--``, a word starting with
``-``, ``--help``, completion — returns None and the typer app runs the command from the
start.
"""

from __future__ import annotations

from scanner.errors import ScannerError, UsageProblem

TYPE_CHECKING = False  # typing/collections.abc stay unimported on the fast path
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: The flags each command accepts here, and the keyword each sets to True.
_FLAGS: dict[str, dict[str, str]] = {
    "walk": {
        "--json": "json",
        "--jsonl": "jsonl",
        "--csv": "csv",
        "--quiet": "quiet",
        "-q": "quiet",
        "--print0": "null",
        "-0": "null",
    },
    "ext": {
        "--json": "json",
        "--jsonl": "jsonl",
        "--csv": "csv",
        "--quiet": "quiet",
        "-q": "quiet",
    },
    "check": {"--json": "json", "--jsonl": "jsonl", "--csv": "csv"},
}


def parse(args: Sequence[str]) -> tuple[str, list[str], dict[str, bool]] | None:
    """(command, paths, flags) for a command line this path runs, else None."""
    if not args or args[0] not in _FLAGS:
        return None
    known = _FLAGS[args[0]]
    paths: list[str] = []
    flags: dict[str, bool] = {}
    for arg in args[1:]:
        if arg.startswith("-"):
            if arg not in known:
                return None
            flags[known[arg]] = True
        else:
            paths.append(arg)
    if args[0] == "check" and not paths:
        return None  # FILE is required: typer's usage error says so
    return args[0], paths, flags


def fast_command(args: Sequence[str]) -> int | None:
    """Run ``args`` without typer when :func:`parse` accepts them; None otherwise."""
    import os

    if "_SCANNER_COMPLETE" in os.environ:
        return None
    parsed = parse(args)
    if parsed is None:
        return None
    name, paths, flags = parsed
    run: Callable[..., int]
    if name == "check":
        from scanner.cli._check import run_check

        return guarded(lambda: run_check(paths, **flags), args)
    if name == "walk":
        from scanner.cli._walk import run_walk as run
    else:
        from scanner.cli._walk import run_ext as run
    from scanner.cli._groups import DataOptions, TreeOptions

    data = DataOptions(**{k: v for k, v in flags.items() if hasattr(DataOptions, k)})
    more = {k: v for k, v in flags.items() if not hasattr(DataOptions, k)}
    return guarded(lambda: run(paths or None, TreeOptions(), data, **more), args)


def guarded(call: Callable[[], int], args: Sequence[str]) -> int:
    """``call()`` with the tool's own errors handled, on both paths: a usage problem is one
    line and a hint (exit 3), a failure one line (its exit code), a closed pipe exit 0."""
    try:
        return call()
    except UsageProblem as exc:
        from scanner.cli._app import usage_error
        from scanner.cli._output import BadValue

        # a refused option value points at --help, as click's own usage errors do
        return usage_error(str(exc), exc if isinstance(exc, BadValue) else None, args)
    except (ScannerError, BrokenPipeError) as exc:
        from scanner.runtime.failure import exit_for_failure

        return exit_for_failure(exc)
