"""``scanner ext PATH...``: files and bytes per extension."""

from __future__ import annotations

from scanner.cli._options import CsvOpt, JsonlOpt, JsonOpt, OutputOpt, QuietOpt
from scanner.cli._walk_options import (
    CaseOpt,
    CompoundOpt,
    ExcludeOpt,
    FollowOpt,
    HiddenOpt,
    MaxDepthOpt,
    OneFsOpt,
    PathsArg,
    SortOpt,
    TopOpt,
    WorkersOpt,
)


def ext_command(
    paths: PathsArg = None,
    *,
    sort: SortOpt = "count",
    top: TopOpt = None,
    compound: CompoundOpt = False,
    case_sensitive: CaseOpt = False,
    max_depth: MaxDepthOpt = None,
    hidden: HiddenOpt = True,
    exclude: ExcludeOpt = None,
    follow: FollowOpt = False,
    one_file_system: OneFsOpt = False,
    workers: WorkersOpt = None,
    json: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv: CsvOpt = False,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Count files and bytes per extension below PATHs (case-folded; .bashrc has none),
    with an 'others' row after --top N and a total. Exit 1 when some entries could not be
    read."""
    import typer

    from scanner.cli._options import pick_format
    from scanner.cli._walk_options import ext_sort, walk_config
    from scanner.cli._walk_session import error_consumer, finish, report_sink, run_walk
    from scanner.fs import views
    from scanner.fs.views import ext_csv, ext_rich_table
    from scanner.output.console import render_text, stdout_console
    from scanner.output.formats import Format, dumps_pretty, jsonl_line
    from scanner.output.schema import document, record
    from scanner.runtime.session import Session, run_async

    fmt = pick_format(json, jsonl, csv, Format.TABLE)
    order = ext_sort(sort)
    config = walk_config(
        paths,
        max_depth=max_depth,
        hidden=hidden,
        exclude=exclude,
        follow=follow,
        one_file_system=one_file_system,
        workers=workers,
        compound_extensions=compound,
        case_sensitive=case_sensitive,
        largest=0,
    )

    async def body(session: Session) -> int:
        async with report_sink(output, session) as sink:
            consumer = error_consumer(sink, as_records=fmt is Format.JSONL, echo=not quiet)
            report = await run_walk(session, config, quiet=quiet, on_batch=consumer)
            table = report.extensions.table(order, top)
            if fmt is Format.JSON:
                doc = document(
                    "ext",
                    **views.ext_table_fields(table),
                    errors=[views.error_fields(e) for e in report.errors],
                    summary=views.summary_fields(report),
                )
                await sink.write(dumps_pretty(doc))
            elif fmt is Format.JSONL:
                lines = [jsonl_line(record("extension", **views.ext_row_fields(r)))
                         for r in table.rows]  # fmt: skip
                if table.others is not None:
                    lines.append(
                        jsonl_line(record("others", **views.ext_row_fields(table.others)))
                    )
                lines.append(jsonl_line(record("summary", **views.summary_fields(report))))
                await sink.write("".join(lines))
            elif fmt is Format.CSV:
                await sink.write(ext_csv(table))
            elif output is not None:
                await sink.write(render_text(ext_rich_table(table)))
            else:
                stdout_console().print(ext_rich_table(table))
        return finish(report, quiet=quiet)

    raise typer.Exit(run_async(body))
