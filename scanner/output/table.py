"""A table described once: drawn by rich on a terminal, written as plain text on a pipe.

Importing rich's table and console costs ~20 ms, more than ``scanner ext DIR | ...`` spends
on everything else. :class:`Table` takes the calls of ``rich.table.Table`` that the views
make (``Table(...)``, ``add_column``, ``add_row``) and only records them. For the
full-width plain text of a pipe or a file (``scanner.output.writers.table``) :func:`plain`
writes the simple tables itself, byte for byte as rich writes them there (no box, columns
two spaces apart, lines without trailing blanks); anything it does not know to draw exactly
(a title wider than the table, a cell rich would read as markup or an emoji code,
characters wider than one cell, an option it has no rule for) gives None, and the table is
handed to rich as it was described (:meth:`Table.__rich__`), as it is on a terminal.
:func:`print_table` does the same for a boxed table printed on stdout (``scanner check``):
drawn here when stdout is a pipe and the table fits rich's width, else by rich.
"""

from __future__ import annotations

from typing import Any

#: What :func:`plain` draws itself: any other option is rich's to draw.
_TABLE_OPTIONS = frozenset({"title", "title_justify", "caption", "caption_justify", "show_header"})
_COLUMN_OPTIONS = frozenset({"justify"})
_ROW_OPTIONS = frozenset({"end_section"})  # a section line: none without a box


class Table:
    """The arguments of a ``rich.table.Table`` and of its ``add_column``/``add_row``
    calls, kept to be drawn later (by :func:`plain`, or by rich: ``__rich__``)."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.columns: list[tuple[str, dict[str, Any]]] = []
        self.rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def add_column(self, header: str = "", **options: Any) -> None:
        """As ``rich.table.Table.add_column``."""
        self.columns.append((header, options))

    def add_row(self, *cells: Any, **options: Any) -> None:
        """As ``rich.table.Table.add_row``."""
        self.rows.append((cells, options))

    def __rich__(self) -> Any:
        """The rich table these calls describe (a terminal, or what :func:`plain` leaves)."""
        from rich.table import Table as RichTable

        table = RichTable(**self.options)
        for header, options in self.columns:
            table.add_column(header, **options)
        for cells, options in self.rows:
            table.add_row(*cells, **options)
        return table


def _simple(text: object) -> bool:
    """Text rich prints as it is, one cell per character: printable ASCII that holds no
    markup (``[``) and no emoji code (``:name:``), with no blank at either end (rich
    trims some when it justifies)."""
    return (
        isinstance(text, str)
        and text.isascii()
        and text.isprintable()
        and text == text.strip()
        and "[" not in text
        and text.count(":") < 2
    )


def _grid(table: Table) -> tuple[list[tuple[str, ...]], list[str], list[int]] | None:
    """(rows to draw, the header first when shown; each column's justification; each
    column's width), or None when a cell or an option is not :func:`_simple`."""
    opts = table.options
    if not table.columns or not set(opts) <= _TABLE_OPTIONS:
        return None
    justify: list[str] = []
    for header, options in table.columns:
        side = options.get("justify", "left")
        if not set(options) <= _COLUMN_OPTIONS or side not in ("left", "right"):
            return None
        if not _simple(header):
            return None
        justify.append(side)
    ncols = len(justify)
    grid: list[tuple[str, ...]] = []
    if opts.get("show_header", True):
        grid.append(tuple(header for header, _ in table.columns))
    for cells, options in table.rows:
        if len(cells) > ncols or not set(options) <= _ROW_OPTIONS:
            return None
        if not all(_simple(cell) for cell in cells):
            return None
        grid.append(tuple(cells) + ("",) * (ncols - len(cells)))
    widths = [max(len(row[i]) for row in grid) if grid else 0 for i in range(ncols)]
    if not all(widths):
        return None  # rich's rule for an empty column is not copied here
    return grid, justify, widths


def _cells(row: tuple[str, ...], widths: list[int], justify: list[str]) -> list[str]:
    return [
        cell.rjust(width) if side == "right" else cell.ljust(width)
        for cell, width, side in zip(row, widths, justify, strict=True)
    ]


def plain(table: Table) -> str | None:
    """``table`` as rich writes it unboxed, unpadded at the edges and full width (its lines
    stripped at the end), or None when it must be left to rich."""
    found = _grid(table)
    if found is None:
        return None
    grid, justify, widths = found
    opts = table.options
    total = sum(widths) + 2 * (len(widths) - 1)
    for key in ("title", "caption"):
        text = opts.get(key)
        if not text:  # rich writes no line for an empty one
            continue
        # a title or caption wider than the table is wrapped by rich: left to it
        if not _simple(text) or len(text) > total or opts.get(f"{key}_justify") != "left":
            return None
    lines: list[str] = []
    if opts.get("title"):
        lines.append(opts["title"])
    lines.extend("  ".join(_cells(row, widths, justify)) for row in grid)
    if opts.get("caption"):
        lines.append(opts["caption"])
    return "".join(line.rstrip() + "\n" for line in lines)


def boxed(table: Table, width: int) -> str | None:
    """``table`` as a rich console ``width`` columns wide and without colours writes it in
    rich's default box (heavy head lines), or None when it must be left to rich (it does
    not fit, it has a title, no rows or an option of rich's)."""
    found = _grid(table)
    if found is None or table.options or not table.rows:
        return None
    grid, justify, widths = found
    if sum(widths) + 3 * len(widths) + 1 > width:
        return None  # rich would fold or shrink cells to fit
    bars = ["━" * (w + 2) for w in widths]
    thin = ["─" * (w + 2) for w in widths]
    head, *body = grid
    lines = ["┏" + "┳".join(bars) + "┓"]
    lines.append("┃ " + " ┃ ".join(_cells(head, widths, justify)) + " ┃")
    lines.append("┡" + "╇".join(bars) + "┩")
    lines.extend("│ " + " │ ".join(_cells(row, widths, justify)) + " │" for row in body)
    lines.append("└" + "┴".join(thin) + "┘")
    return "".join(line + "\n" for line in lines)


def console_width() -> int | None:
    """The width a rich console on stdout would take when stdout is not a terminal and
    nothing in the environment makes rich treat it as one; None otherwise (rich decides)."""
    import os
    import sys

    env = os.environ
    if sys.stdout.isatty() or "FORCE_COLOR" in env or "TTY_COMPATIBLE" in env:
        return None
    if not (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None  # rich would draw an ASCII box
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns) if int(columns) > 0 else None
    for fd in (0, 1, 2):  # rich's order: a terminal on stdin or stderr sets the width
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def print_table(table: Table) -> None:
    """Print ``table`` on stdout as ``rich.console.Console(file=sys.stdout)`` would (no
    highlighting), drawing it here when :func:`boxed` can."""
    import sys

    width = console_width()
    text = None if width is None else boxed(table, width)
    if text is not None:
        sys.stdout.write(text)
        return
    from scanner.output.console import stdout_console

    stdout_console().print(table)
