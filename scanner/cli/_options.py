"""Options shared by the data commands, declared once, and the parsers behind them (what
becomes of them without typer: ``scanner.cli._groups`` and ``scanner.cli._output``)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from scanner.cli._groups import DataOptions, OptionGroup

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


_F = TypeVar("_F", bound=Callable[..., Any])


def option_group(
    name: str, group: type[OptionGroup], params: tuple[tuple[str, object], ...]
) -> Callable[[_F], _F]:
    """A decorator that declares options once for several commands: the command takes
    ``NAME: GROUP`` (an ``OptionGroup``: its attributes are the options, defaults included)
    and typer sees, in its place, one parameter per option of ``params`` ((attribute,
    Annotated type), in --help order)."""
    names = [field for field, _ in params]
    assert all(hasattr(group, field) for field in names), group

    def decorate(func: _F) -> _F:
        sig = inspect.signature(func, eval_str=True)
        declared: list[inspect.Parameter] = []
        for param in sig.parameters.values():
            if param.name != name:
                declared.append(param)
                continue
            declared += [
                inspect.Parameter(
                    field,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=annotation,
                    default=getattr(group, field),
                )
                for field, annotation in params
            ]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            values = group(**{field: kwargs.pop(field) for field in names})
            return func(*args, **{name: values}, **kwargs)

        command.__signature__ = sig.replace(parameters=declared)  # type: ignore[attr-defined]
        # typer reads the annotations too: the evaluated ones, not the module's strings
        command.__annotations__ = {p.name: p.annotation for p in declared}
        return cast(_F, command)

    return decorate


#: --json, --jsonl, --csv, -o, -q once for the commands that take ``data: DataOptions``.
data_options = option_group(
    "data",
    DataOptions,
    (("json", JsonOpt), ("jsonl", JsonlOpt), ("csv", CsvOpt), ("output", OutputOpt),
     ("quiet", QuietOpt)),
)  # fmt: skip


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
