"""``scanner walk PATH...``: stream matching entries as they are found (like find and fd)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import (
    ExcludeOpt,
    FollowOpt,
    HiddenOpt,
    MaxDepthOpt,
    OneFsOpt,
    PathsArg,
    WorkersOpt,
)

TypeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--type",
        "-t",
        help="List only files (f), directories (d) or symlinks (l); repeatable. "
        "Traversal is unchanged.",
    ),
]
NullOpt = Annotated[
    bool, typer.Option("--print0", "-0", help="Separate paths with NUL (for xargs -0).")
]


def walk_command(
    paths: PathsArg = None,
    *,
    max_depth: MaxDepthOpt = None,
    hidden: HiddenOpt = True,
    exclude: ExcludeOpt = None,
    type_: TypeOpt = None,
    follow: FollowOpt = False,
    one_file_system: OneFsOpt = False,
    workers: WorkersOpt = None,
    null: NullOpt = False,
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """List entries below PATHs as they are found: one path per line (exact bytes on a pipe,
    escaped on a terminal), NUL-separated with -0, or records with type, size and mtime
    (--jsonl, --json, --csv). A summary goes to stderr. Exit 1 when some entries could not
    be read."""
    import sys

    from scanner.cli._options import pick_format, usage
    from scanner.cli._walk_options import walk_config
    from scanner.cli._walk_session import (
        error_line,
        finish,
        reader_gone,
        report_sink,
        run_walk,
    )
    from scanner.fs import views
    from scanner.fs.model import WalkBatch
    from scanner.output.formats import Format, csv_text, dumps, jsonl_line
    from scanner.output.sanitize import display_name
    from scanner.output.schema import document, record
    from scanner.runtime.session import Session, run_async

    fmt = pick_format(json, jsonl, csv, Format.TEXT)
    if null and fmt is not Format.TEXT:
        raise usage("-0 prints plain paths: it cannot be combined with --json, --jsonl, --csv")
    with_metadata = fmt is not Format.TEXT
    config = walk_config(
        paths,
        max_depth=max_depth,
        hidden=hidden,
        exclude=exclude,
        follow=follow,
        one_file_system=one_file_system,
        workers=workers,
        types=frozenset(type_ or ()),
        listing=True,
        stat_files=with_metadata,  # plain listings run on d_type alone, as fd does
        stat_listed=with_metadata,
        largest=0,
    )
    terminal = output is None and sys.stdout.isatty()
    sep = "\0" if null else "\n"

    async def body(session: Session) -> int:
        async with report_sink(output, session) as sink:
            first = True

            async def on_batch(batch: WalkBatch) -> None:
                nonlocal first
                parts: list[str] = []
                if fmt is Format.TEXT:
                    if terminal:
                        parts = [display_name(e.path) + sep for e in batch.entries]
                    else:
                        parts = [e.path + sep for e in batch.entries]
                    if not quiet:
                        sys.stderr.writelines(error_line(e) for e in batch.errors)
                elif fmt is Format.JSONL:
                    parts = [
                        jsonl_line(record("entry", **views.entry_fields(e)))
                        for e in batch.entries
                    ]
                    parts += [
                        jsonl_line(record("error", **views.error_fields(e))) for e in batch.errors
                    ]
                elif fmt is Format.CSV:
                    rows = [views.entry_csv_row(e) for e in batch.entries]
                    rows += [views.error_csv_row(e) for e in batch.errors]
                    parts = [csv_text(views.ENTRY_CSV_HEADER, rows, with_header=first)]
                    first = False
                else:
                    for e in batch.entries:
                        parts.append(("\n" if first else ",\n") + dumps(views.entry_fields(e)))
                        first = False
                if parts:
                    await sink.write("".join(parts))
                    await sink.flush()  # as found: a reader sees each batch at once

            if fmt is Format.JSON:
                await sink.write(dumps(document("walk"))[:-1] + ',"entries":[')
            if fmt is Format.CSV:
                await sink.write(csv_text(views.ENTRY_CSV_HEADER, []))
                first = False
            try:
                report = await run_walk(session, config, quiet=quiet, on_batch=on_batch)
            except BrokenPipeError:
                return reader_gone()
            if fmt is Format.JSONL:
                await sink.write(jsonl_line(record("summary", **views.summary_fields(report))))
            elif fmt is Format.JSON:
                errors = [views.error_fields(e) for e in report.errors]
                summary = views.summary_fields(report)
                await sink.write(f'\n],"errors":{dumps(errors)},"summary":{dumps(summary)}}}\n')
        return finish(report, quiet=quiet)

    raise typer.Exit(run_async(body))
