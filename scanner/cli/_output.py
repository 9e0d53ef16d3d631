"""The output options as the runtime takes them, and the usage errors of command bodies,
without typer (for scanner.cli.fast too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.errors import UsageProblem
from scanner.output.formats import Format, choose_format

if TYPE_CHECKING:
    from pathlib import Path

    from scanner.runtime.command import Output


def pick_format(json: bool, jsonl: bool, csv: bool, default: Format) -> Format:
    """The one format asked for, raising a usage error for conflicting flags."""
    return choose_format(json=json, jsonl=jsonl, csv=csv, default=default)


def output_for(
    json: bool, jsonl: bool, csv: bool, output: Path | None, quiet: bool, *, default: Format
) -> Output:
    """The runtime's ``Output`` for the common output options."""
    from scanner.runtime.command import Output

    return Output(fmt=pick_format(json, jsonl, csv, default), path=output, quiet=quiet)


def usage(message: str) -> UsageProblem:
    """A usage problem to raise from a command body."""
    return UsageProblem(message)


class BadValue(UsageProblem):
    """A value the parser took but the command refuses (``--size 1Q``, ``--sort colour``):
    its message names the option, and it is printed as one line and a hint (exit 3)."""


def bad_value(message: str) -> BadValue:
    """A usage problem in an option's value, to raise from a command body (the message
    names the option): one line and the hint ``see 'scanner CMD --help'``, exit 3, on the
    typer app and on the fast path alike."""
    return BadValue(message)
