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
