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


#: ``scanner ping``'s value-less flags here: the keyword each sets to True (the data options'
#: among them go to ``DataOptions``).
_PING_FLAGS = {
    "--json": "json", "--jsonl": "jsonl", "--csv": "csv", "--quiet": "quiet", "-q": "quiet",
    "--yes": "yes", "-y": "yes", "--alive": "alive", "-a": "alive",
    "--unreachable": "unreachable", "-u": "unreachable", "-4": "ipv4", "-6": "ipv6",
    "--loop": "loop", "-l": "loop", "--replies": "replies",
}  # fmt: skip
#: Its options with one value: the keyword, and how the typer command reads the value
#: (``int>=N``, ``float``, ``str``, ``list``, ``duration`` with a bare number up to 60 s,
#: ``duration*`` with any bare number).
_PING_VALUES = {
    "--count": ("count", "int>=1"), "-c": ("count", "int>=1"),
    "--jobs": ("jobs", "int>=1"), "-j": ("jobs", "int>=1"),
    "--retries": ("retries", "int>=0"), "-r": ("retries", "int>=0"),
    "--max-hosts": ("max_hosts", "int>=1"), "--rate": ("rate", "float"),
    "--timeout": ("timeout", "duration"), "-t": ("timeout", "duration"),
    "--interval": ("interval", "duration"), "-i": ("interval", "duration"),
    "--backoff": ("backoff", "duration"), "--deadline": ("deadline", "duration*"),
    "--method": ("method", "str"), "-m": ("method", "str"),
    "--file": ("file", "list"), "-f": ("file", "list"),
    "--exclude": ("exclude", "list"), "-E": ("exclude", "list"),
    "--port": ("port", "list"), "-p": ("port", "list"),
}  # fmt: skip


def _ping_value(kind: str, text: str) -> object:
    """``text`` as the typer command reads it; ValueError where typer would refuse it (its
    error message is then the typer app's to give)."""
    if kind.startswith("int>="):
        whole = int(text)
        if whole < int(kind[5:]):
            raise ValueError(text)
        return whole
    if kind == "float":
        return float(text)
    if kind.startswith("duration"):
        from scanner.durations import UNITS, split_duration

        number, unit = split_duration(text)
        if not unit and kind == "duration" and number > 60.0:
            raise ValueError(text)  # the "bare number means seconds" hint is typer's
        return number * UNITS.get(unit, 1.0)
    return text  # str


def parse_ping(args: Sequence[str]) -> dict[str, object] | None:
    """The keywords of ``run_ping`` (before the option groups) for a ``scanner ping`` line
    of targets, the flags and the one-value options above (``-c 3``, ``-m icmp``, ``--rate
    100000``, also joined: ``-j64``, ``--rate=100``), every other option at its default; None
    for anything else (joined short flags, ``--help``, a value typer would refuse, a target
    starting with ``-``): the typer app then parses the line from the start."""
    if not args or args[0] != "ping":
        return None
    from scanner.cli._ping import DEFAULT_MAX_HOSTS

    got: dict[str, object] = {
        "targets": None, "file": None, "exclude": None, "yes": False,
        "max_hosts": DEFAULT_MAX_HOSTS, "alive": False, "unreachable": False, "count": 1,
        "jobs": None, "timeout": 1.0, "interval": 1.0, "deadline": None, "rate": None,
        "retries": 0, "backoff": 0.5, "ipv4": False, "ipv6": False, "method": "auto",
        "port": None, "loop": False, "replies": None, "ping": "ping", "spawner": "auto",
        "icmp_socket": "auto", "backend": "asyncio",
        "json": False, "jsonl": False, "csv": False, "quiet": False,
    }  # fmt: skip
    lists: dict[str, list[str]] = {}
    rest = iter(args[1:])
    for arg in rest:
        text: str | None = None
        # a value joined to its option, as click reads it: ``--jobs=64``, ``-j64``
        if arg.startswith("--") and "=" in arg:
            arg, text = arg.split("=", 1)
        elif len(arg) > 2 and arg[1] != "-" and arg[:2] in _PING_VALUES:
            arg, text = arg[:2], arg[2:]
        if arg in _PING_FLAGS and text is None:
            got[_PING_FLAGS[arg]] = True
        elif arg in _PING_VALUES:
            key, kind = _PING_VALUES[arg]
            if text is None:
                text = next(rest, None)
            if text is None:
                return None
            if kind == "list":
                lists.setdefault(key, []).append(text)
                continue
            try:
                got[key] = _ping_value(kind, text)
            except ValueError:
                return None
        elif arg.startswith("-"):
            return None
        else:
            lists.setdefault("targets", []).append(arg)
    got.update(lists)
    return got


def _fast_ping(args: Sequence[str]) -> int | None:
    parsed = parse_ping(args)
    if parsed is None:
        return None
    from scanner.cli._groups import ClusterOptions, DataOptions
    from scanner.cli._ping import run_ping

    data = DataOptions(**{k: parsed.pop(k) for k in ("json", "jsonl", "csv", "quiet")})
    return guarded(lambda: run_ping(**parsed, clu=ClusterOptions(), data=data), args)  # type: ignore[arg-type]


def fast_command(args: Sequence[str]) -> int | None:
    """Run ``args`` without typer when :func:`parse` (or :func:`parse_ping`) accepts them;
    None otherwise."""
    import os

    if "_SCANNER_COMPLETE" in os.environ:
        return None
    if args and args[0] == "ping":
        return _fast_ping(args)
    parsed = parse(args)
    if parsed is None:
        return None
    name, paths, flags = parsed
    run: Callable[..., int]
    if name == "check":
        from scanner.cli._check import run_check
        from scanner.runtime import collector

        collector.resume()  # its work runs here, without the runtime

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
