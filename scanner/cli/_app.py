"""The typer app of ``scanner`` and the error handling around it (see :mod:`scanner.cli`)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import typer

from scanner import __version__, exit_codes
from scanner.cli import COMMANDS, _command_name
from scanner.cli.fast import guarded


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
        else:
            app.add_typer(target, name=name, short_help=line)
    return app


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


def usage_error(message: str, exc: Exception | None, args: Sequence[str]) -> int:
    """Every usage error: one line with the message, a hint when there is one, exit 3."""
    where = _command_path(args)
    message = " ".join(message.split())  # click's messages may wrap; one line here
    # the hint line says it once: "Did you mean" is dropped from click's own message
    message = message.split(" Did you mean")[0].split(" (Possible options")[0]
    sys.stderr.write(f"{where}: error: {message}\n")
    if exc is not None:  # an option or command the parser refused: point at the right one
        sys.stderr.write(f"{where}: hint: {_hint(exc, where)}\n")
    return exit_codes.USAGE


def run(args: list[str]) -> int:
    """Run the typer app on ``args`` and return the exit code (usage errors are 3)."""
    if args[:1] == ["help"]:  # `scanner help walk` is `scanner walk --help`
        args = [*args[1:], "--help"]
    only = _command_name(args)
    if "_SCANNER_COMPLETE" in os.environ:  # a completion script asks: the whole app answers
        from scanner.cli.completion import enable

        enable()
        only = None
    command = typer.main.get_command(build_app(only))

    def call() -> int:
        try:
            result = command.main(args=args, prog_name="scanner", standalone_mode=False)
        except _USAGE_ERROR as exc:
            return usage_error(exc.format_message(), exc, args)  # type: ignore[attr-defined]
        except _CLICK_EXCEPTION as exc:
            sys.stderr.write(f"scanner: error: {exc.format_message()}\n")  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", exit_codes.FAILURE))
        except typer.Abort:
            return exit_codes.INTERRUPTED
        return result if isinstance(result, int) else exit_codes.OK

    return guarded(call, args)
