"""``scanner completion SHELL``: the shell-completion script for bash, zsh or fish.

Completion itself runs through the CLI: the script calls ``scanner`` with
``_SCANNER_COMPLETE`` set, and :func:`scanner.cli.main` answers with the commands, options
and choices that fit (typer's completion classes over the whole app).
"""

from __future__ import annotations

from typing import Annotated

import typer

#: The environment variable the completion scripts set when they call ``scanner``.
COMPLETE_VAR = "_SCANNER_COMPLETE"
SHELLS = ("bash", "zsh", "fish")

ShellArg = Annotated[str, typer.Argument(metavar="bash|zsh|fish", help="Your shell.")]


def completion_command(shell: ShellArg) -> None:
    """Print the completion script for SHELL.

    bash: eval "$(scanner completion bash)" in ~/.bashrc; zsh: eval "$(scanner completion
    zsh)" in ~/.zshrc (after compinit); fish: scanner completion fish >
    ~/.config/fish/completions/scanner.fish
    """
    from typer._completion_shared import get_completion_script

    from scanner.cli._output import usage

    if shell not in SHELLS:
        raise usage(f"completion scripts exist for {', '.join(SHELLS)}, not {shell!r}")
    script = get_completion_script(prog_name="scanner", complete_var=COMPLETE_VAR, shell=shell)
    typer.echo(script)


def enable() -> None:
    """Register the completion classes (typer does so only for apps that add its own
    ``--install-completion`` options, which this CLI replaces with ``completion``)."""
    from typer._completion_classes import completion_init

    completion_init()
