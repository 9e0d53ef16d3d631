"""The ``scanner`` command: a typer app, thin over the library.

Each command lives in its own module here and only validates input, builds a frozen config,
calls the library (a job on ``scanner.runtime.command``) and returns the exit code. The app
is built lazily: a run imports and builds only the command it runs (``COMMANDS``), so
``scanner walk`` never pays for the zip, ping or bench options; ``--help`` and anything that
names no known command build them all. Importing this package costs nothing: typer, click
and the app live in :mod:`scanner.cli._app`, imported only when a command line needs them
(:mod:`scanner.cli.fast` runs the plainest command lines of ``walk``, ``ext`` and ``check``
without them).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing/collections.abc stay unimported on the fast path
if TYPE_CHECKING:
    from collections.abc import Sequence

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


def _command_name(args: Sequence[str]) -> str | None:
    """The command ``args`` run (its first word that is not an option), if it is one."""
    for arg in args:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
        if arg == "--":
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (usage errors are exit code 3)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    from scanner.cli.fast import fast_command

    code = fast_command(args)
    if code is not None:
        return code
    from scanner.runtime import collector

    collector.resume()  # the typer app's commands collect as ever (see that module)
    from scanner.cli._app import run

    return run(args)
