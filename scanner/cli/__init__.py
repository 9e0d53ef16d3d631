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
from scanner.errors import ScannerError
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
app.add_typer(_lab.app, name="lab")
app.add_typer(_bench.app, name="bench")

# click's exception classes, reached through typer's public BadParameter so that this works
# whether typer vendors click or depends on it.
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _show_click_error(exc: Exception) -> None:
    try:
        from typer import rich_utils

        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
    except (ImportError, AttributeError):
        exc.show()  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (usage errors are exit code 3)."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="scanner", standalone_mode=False)
    except _USAGE_ERROR as exc:
        _show_click_error(exc)
        return exit_codes.USAGE
    except _CLICK_EXCEPTION as exc:
        _show_click_error(exc)
        return int(getattr(exc, "exit_code", exit_codes.FAILURE))
    except typer.Abort:
        return exit_codes.INTERRUPTED
    except ScannerError as exc:
        sys.stderr.write(f"scanner: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        silence_stdout()
        return exit_codes.OK
    if isinstance(result, int):
        return result
    return exit_codes.OK
