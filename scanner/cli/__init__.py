"""The ``scanner`` command: a typer app, thin over the library.

Each command lives in its own module here and only validates input, builds a frozen config,
calls the library and maps the outcome to an exit code (``scanner.exit_codes``). Heavy imports
happen inside command bodies so that ``scanner --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from scanner import __version__, exit_codes
from scanner.cli import bench as _bench
from scanner.cli import check as _check
from scanner.cli import ext as _ext
from scanner.cli import info as _info
from scanner.cli import lab as _lab
from scanner.cli import ping as _ping
from scanner.cli import scan as _scan
from scanner.cli import walk as _walk
from scanner.cli import zip as _zip
from scanner.errors import ScannerError, UsageProblem
from scanner.output.pipe import silence_stdout

app = typer.Typer(
    name="scanner",
    help="Asynchronous, concurrent file-system and network scanner.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scanner {__version__}")
        raise typer.Exit(exit_codes.OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        callback=_version,
        is_eager=True,
    ),
) -> None:
    """Asynchronous, concurrent file-system and network scanner."""


app.command("info")(_info.info_command)
app.command("check")(_check.check_command)
app.command("walk")(_walk.walk_command)
app.command("ext")(_ext.ext_command)
app.command("scan")(_scan.scan_command)
app.command("zip")(_zip.zip_command)
app.command("ping")(_ping.ping_command)


def _stop_by_raising() -> None:
    """``bench`` stops on KeyboardInterrupt between its runs itself."""
    from scanner.runtime import signals

    signals.raising()


app.add_typer(_lab.app, name="lab")
app.add_typer(_bench.app, name="bench", callback=_stop_by_raising)

# click's exception classes, reached through typer's public BadParameter so that this works
# whether typer vendors click or depends on it.
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _command_path(args: Sequence[str]) -> str:
    """``scanner walk`` for ``walk -d 2 .`` (options before the command name are skipped)."""
    words = ["scanner"]
    group: object = typer.main.get_group(app)
    for arg in args:
        if arg.startswith("-"):
            continue
        commands = getattr(group, "commands", {})
        if arg not in commands:
            break
        words.append(arg)
        group = commands[arg]
    return " ".join(words)


#: Flags that mean something else now, and what to type instead (one meaning per flag).
_RENAMED = {
    ("scanner ping", "-x"): "-E/--exclude leaves targets out (-x is --one-file-system in walk)",
}


def _hint(exc: Exception, where: str) -> str:
    """A short hint: the closest option or command, else where the help is."""
    import difflib

    renamed = _RENAMED.get((where, str(getattr(exc, "option_name", ""))))
    if renamed:
        return renamed
    possibilities = list(getattr(exc, "possibilities", None) or ())
    if possibilities:
        return f"did you mean {' or '.join(sorted(possibilities)[:3])}?"
    name = getattr(exc, "command_name", None) or _unknown_command(exc)
    if name:
        group = typer.main.get_group(app)
        close = difflib.get_close_matches(name, list(group.commands), n=1)
        if close:
            return f"did you mean '{where} {close[0]}'?"
    return f"see '{where} --help'"


def _unknown_command(exc: Exception) -> str | None:
    message = str(getattr(exc, "message", "")) or str(exc)
    if message.startswith("No such command"):
        return message.split("'")[1] if "'" in message else None
    return None


def _usage_error(message: str, exc: Exception | None, args: Sequence[str]) -> int:
    """Every usage error: one line with the message, a hint when there is one, exit 3."""
    where = _command_path(args)
    message = " ".join(message.split())  # click's messages may wrap; one line here
    # the hint line says it once: "Did you mean" is dropped from click's own message
    message = message.split(" Did you mean")[0].split(" (Possible options")[0]
    sys.stderr.write(f"{where}: error: {message}\n")
    if exc is not None:  # an option or command the parser refused: point at the right one
        sys.stderr.write(f"{where}: hint: {_hint(exc, where)}\n")
    return exit_codes.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (usage errors are exit code 3)."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="scanner", standalone_mode=False)
    except _USAGE_ERROR as exc:
        return _usage_error(exc.format_message(), exc, args)  # type: ignore[attr-defined]
    except _CLICK_EXCEPTION as exc:
        sys.stderr.write(f"scanner: error: {exc.format_message()}\n")  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", exit_codes.FAILURE))
    except typer.Abort:
        return exit_codes.INTERRUPTED
    except UsageProblem as exc:
        return _usage_error(str(exc), None, args)
    except ScannerError as exc:
        sys.stderr.write(f"scanner: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        silence_stdout()
        return exit_codes.OK
    if isinstance(result, int):
        return result
    return exit_codes.OK
