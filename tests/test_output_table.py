"""Tables described once (scanner.output.table): on a pipe the simple ones are drawn without
rich, byte for byte as rich draws them there; everything else is left to rich."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from scanner.output.table import Table, plain
from scanner.output.writers.table import render

_WORDS = string.ascii_letters + string.digits + " ._-/()%,+:"


def _rich_render(tables: list[Table]) -> str:
    """What rich writes for these tables on a pipe (the path taken before this module)."""
    return render([t.__rich__() for t in tables], width=None)


def _word(rng: random.Random, most: int) -> str:
    word = "".join(rng.choice(_WORDS) for _ in range(rng.randint(1, most)))
    return word.strip() or "x"  # blanks at the ends are rich's (the test below)


def _random_table(rng: random.Random) -> Table:
    ncols = rng.randint(1, 5)
    headers = [_word(rng, 12) for _ in range(ncols)]
    rows = [
        [_word(rng, 20) for _ in range(rng.randint(1, ncols))] for _ in range(rng.randint(0, 8))
    ]
    widths = [
        max([len(h), *(len(r[i]) for r in rows if i < len(r))]) for i, h in enumerate(headers)
    ]
    room = sum(widths) + 2 * (ncols - 1)
    options: dict[str, object] = {"show_header": rng.random() < 0.8}
    if rng.random() < 0.5:
        options["title"] = _word(rng, room)[:room]
        options["title_justify"] = "left"
    if rng.random() < 0.3:
        options["caption"] = _word(rng, room)[:room]
        options["caption_justify"] = "left"
    table = Table(**options)
    for header in headers:
        table.add_column(header, justify=rng.choice(["left", "right"]))
    for row in rows:
        table.add_row(*row, end_section=rng.random() < 0.2)
    return table


def test_random_simple_tables_are_drawn_as_rich_draws_them() -> None:
    rng = random.Random(12)
    drawn = 0
    for _ in range(300):
        tables = [_random_table(rng) for _ in range(rng.randint(1, 3))]
        if all(plain(t) is not None for t in tables):
            drawn += 1
        assert render(tables, width=None) == _rich_render(tables)
    assert drawn > 150  # most of them took the rich-free path


def _one(*cells: str, **options: object) -> Table:
    table = Table(**options)
    table.add_column("name")
    table.add_column("n", justify="right")
    table.add_row(*cells)
    return table


@pytest.mark.parametrize(
    "table",
    [
        _one("[bold]x", "1"),  # markup
        _one(":smile: :x:", "2"),  # emoji codes
        _one("日本.txt", "3"),  # wide characters
        _one("tab\there", "4"),
        _one("trailing ", "4"),
        _one("a", "5", title="a title wider than the table", title_justify="left"),
        _one("a", "6", title="t"),  # centred
        _one("a", "7", box=None, expand=True),  # an option of rich's own
        _one("a", "8", "9"),  # more cells than columns
    ],
)
def test_what_plain_does_not_know_goes_to_rich(table: Table) -> None:
    assert plain(table) is None
    assert render([table], width=None) == _rich_render([table])


def test_ext_table_on_a_pipe() -> None:
    from scanner.fs.extensions import ExtRow, ExtTable
    from scanner.fs.views import ext_rich_table

    rows = [ExtRow("txt", 2, 4), ExtRow("", 1, 3), ExtRow("py", 1, 2)]
    table = ExtTable(rows=rows[:2], others=rows[2], total=ExtRow(None, 4, 9), distinct=3)
    described = ext_rich_table(table)
    assert plain(described) == (
        "extension               files  % files  bytes  % bytes\n"
        ".txt                        2    50.0%    4 B    44.4%\n"
        "(none)                      1    25.0%    3 B    33.3%\n"
        "(others: 1 extensions)      1    25.0%    2 B    22.2%\n"
        "total (3 extensions)        4   100.0%    9 B   100.0%\n"
    )
    assert render([described], width=None) == _rich_render([described])


def test_check_prints_full_width_plain_text_on_a_pipe(tmp_path: Path) -> None:
    """``scanner check`` on a pipe writes what every command's tables write there (issue
    12): full-width plain text, never cut, whatever the width a terminal would have - the
    same bytes as rich's unboxed table, drawn without rich."""
    import os
    import subprocess
    import sys

    from scanner.output.writers.table import render
    from tests.cli_helpers import REPO

    (tmp_path / "a.txt").write_text("hi")
    files = ["a.txt", "missing", ".", "x" * 90]
    code = (
        "import sys; from scanner.cli._check import run_check; "
        "sys.exit(run_check(sys.argv[1:]))"
    )
    table = Table()
    for col in ("path", "exists", "type", "readable", "writable", "size", "note"):
        table.add_column(col, justify="right" if col == "size" else "left")
    from scanner.system import check_file

    for name in files:
        r = check_file(str(tmp_path / name))
        table.add_row(
            name, "yes" if r.exists else "no", r.type or "-", "yes" if r.readable else "no",
            "yes" if r.writable else "no", "-" if r.size is None else f"{r.size:,}",
            r.error or "",
        )  # fmt: skip
    expected = render([table], width=None)
    assert "x" * 90 + "  " in expected and "…" not in expected
    assert expected == render([table.__rich__()], width=None)  # rich's own plain table
    for columns in ("80", "200", "30"):
        env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": columns}
        out = subprocess.run(
            [sys.executable, "-c", code, *files], capture_output=True, cwd=tmp_path, env=env,
            timeout=60, check=False,
        ).stdout.decode()  # fmt: skip
        assert out == expected
