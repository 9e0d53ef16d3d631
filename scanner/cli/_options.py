"""Options shared by the data commands, declared once, and the parsers behind them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.errors import UsageProblem
from scanner.output.formats import Format, choose_format

if TYPE_CHECKING:
    from scanner.runtime.command import Output

JsonOpt = Annotated[bool, typer.Option("--json", help="Write one JSON document to stdout.")]
JsonlOpt = Annotated[
    bool, typer.Option("--jsonl", help="Write one JSON record per line, as results arrive.")
]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Write CSV rows.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the data to FILE (atomically), not stdout.",
        dir_okay=False,
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display and no summary on stderr.")
]


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


def duration(*, bare_max: float | None = 60.0) -> Callable[[object], float]:
    """A typer ``parser`` for a duration option: ``500ms``, ``1.5s``, ``2m``; a bare number
    is seconds. A bare number above ``bare_max`` is refused with a hint, since fping users
    type milliseconds there (``-t 500`` would silently mean 500 s)."""

    def parse(value: object) -> float:
        from scanner.durations import UNITS, split_duration

        if isinstance(value, int | float):
            return float(value)
        text = str(value)
        try:
            number, unit = split_duration(text)
        except ValueError:
            raise typer.BadParameter(
                f"{text!r} is not a duration (e.g. 500ms, 1.5s, 2m; a bare number is seconds)"
            ) from None
        if not unit and bare_max is not None and number > bare_max:
            raise typer.BadParameter(
                f"a bare {text} means {text} seconds: write {text}ms for milliseconds, "
                f"or {text}s if you mean seconds"
            )
        return number * UNITS.get(unit, 1.0)

    return parse
