"""What ``scanner check`` does once its options are parsed, without typer (the typer command
and :mod:`scanner.cli.fast` both call it)."""

from __future__ import annotations

from scanner import exit_codes


def run_check(files: list[str], json: bool = False, jsonl: bool = False, csv: bool = False) -> int:
    """Check each file (never opened) and print the results; the exit code: 0 when all are
    readable, 1 otherwise."""
    import sys
    from dataclasses import asdict

    from scanner.cli._output import pick_format
    from scanner.output.formats import Format, csv_text, dumps_pretty, jsonl_line
    from scanner.output.sanitize import display_name, json_path_fields
    from scanner.output.schema import document, record
    from scanner.output.table import Table
    from scanner.system import check_file

    fmt = pick_format(json, jsonl, csv, Format.TABLE)
    results = [check_file(f) for f in files]

    def as_json(item: object) -> dict[str, object]:
        data: dict[str, object] = asdict(item)  # type: ignore[call-overload]
        data.update(json_path_fields(str(data.pop("path"))))
        return data

    if fmt is Format.JSON:
        sys.stdout.write(dumps_pretty(document("check", files=[as_json(r) for r in results])))
    elif fmt is Format.JSONL:
        for r in results:
            sys.stdout.write(jsonl_line(record("file", **as_json(r))))
    elif fmt is Format.CSV:
        header = ["path", "exists", "type", "target_type", "readable", "writable", "size", "error"]
        rows = [[getattr(r, h) if h != "path" else r.path for h in header] for r in results]
        sys.stdout.buffer.write(csv_text(header, rows).encode("utf-8", "surrogateescape"))
    else:
        table = Table()
        for col in ("path", "exists", "type", "readable", "writable", "size", "note"):
            table.add_column(col, justify="right" if col == "size" else "left")
        for r in results:
            kind = r.type or "-"
            if r.type == "symlink":
                kind = f"symlink -> {r.target_type or 'nothing'}"
            table.add_row(
                display_name(r.path),
                "yes" if r.exists else "no",
                kind,
                "yes" if r.readable else "no",
                "yes" if r.writable else "no",
                "-" if r.size is None else f"{r.size:,}",
                r.error or "",
            )
        # a terminal gets rich's table fitted to its width; a pipe or a file full-width plain
        # text, never cut (as every command's tables), drawn without importing rich
        from scanner.output.writers.table import render, terminal_width

        width = terminal_width() if sys.stdout.isatty() else None
        sys.stdout.buffer.write(render([table], width=width).encode("utf-8", "surrogateescape"))
    return exit_codes.OK if all(r.readable for r in results) else exit_codes.PARTIAL
