"""The ``scanner`` command: a typer app, thin over the library.

Each command lives in its own module here and only validates input, builds a frozen config,
calls the library (a job on ``scanner.runtime.command``) and returns the exit code. The app
is built lazily: a run imports and builds only the command it runs (``COMMANDS``), so
``scanner walk`` never pays for the zip, ping or bench options; ``--help`` and anything that
names no known command build them all.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import typer

from scanner import __version__, exit_codes
from scanner.errors import ScannerError, UsageProblem
from scanner.output.pipe import silence_stdout

#: Every command: its module, the attribute to register, whether that is a group (a typer
#: app of subcommands) rather than one command function, and its line in ``scanner --help``.
#: Adding a command is one module in this package and one line here.
COMMANDS: dict[str, tuple[str, str, bool, str]] = {
    "walk": (
        "scanner.cli.walk",
        "walk_command",
        False,
        "List entries as they are found (find, fd).",
    ),
    "ext": ("scanner.cli.ext", "ext_command", False, "Files and bytes per extension."),
    "scan": (
        "scanner.cli.scan",
        "scan_command",
        False,
        "Totals, extensions, largest files, archives.",
    ),
    "du": (
        "scanner.cli.du",
        "du_command",
        False,
        "Biggest directories by bytes and files (du, dust).",
    ),
    "zip": (
        "scanner.cli.zip",
        "zip_command",
        False,
        "List and audit zip archives (unzip -l, zipinfo).",
    ),
    "ping": ("scanner.cli.ping", "ping_command", False, "Sweep hosts: which are alive (fping)."),
    "check": ("scanner.cli.check", "check_command", False, "Does each file exist, may I read it."),
    "info": ("scanner.cli.info", "info_command", False, "Platform, Python, limits, the ping argv."),
    "completion": (
        "scanner.cli.completion",
        "completion_command",
        False,
        "Shell completion for bash/zsh/fish.",
    ),
    "bench": ("scanner.cli.bench", "app", True, "anyio engine vs threads vs sequential."),
    "lab": ("scanner.cli.lab", "app", True, "Reproducible workloads: trees, a slow FS."),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scanner {__version__}")
        raise typer.Exit(exit_codes.OK)


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


def _stop_by_raising() -> None:
    """``bench`` stops on KeyboardInterrupt between its runs itself."""
    from scanner.runtime import signals

    signals.raising()


def build_app(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or with ``only`` that one."""
    app = typer.Typer(
        name="scanner",
        help="Asynchronous, concurrent file-system and network scanner.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # plain click help: at 80 columns rich's boxes left descriptions 20 characters wide
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    app.callback()(_root)
    for name, (module, attr, group, line) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module), attr)
        if not group:
            app.command(name, short_help=line)(target)
        elif name == "bench":
            app.add_typer(target, name=name, short_help=line, callback=_stop_by_raising)
        else:
            app.add_typer(target, name=name, short_help=line)
    return app


def _command_name(args: Sequence[str]) -> str | None:
    """The command ``args`` run (its first word that is not an option), if it is one."""
    for arg in args:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
        if arg == "--":
            return None
    return None


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
    group: object = typer.main.get_group(build_app(_command_name(args)))
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
        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
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
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["help"]:  # `scanner help walk` is `scanner walk --help`
        args = [*args[1:], "--help"]
    only = _command_name(args)
    if "_SCANNER_COMPLETE" in os.environ:  # a completion script asks: the whole app answers
        from scanner.cli.completion import enable

        enable()
        only = None
    command = typer.main.get_command(build_app(only))
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
