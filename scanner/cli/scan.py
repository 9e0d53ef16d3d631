"""``scanner scan PATH...``: the all-in-one tree report."""

from __future__ import annotations

from typing import Annotated

import typer

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

LargestOpt = Annotated[int, typer.Option("--largest", min=0, help="Show the N largest files.")]
ErrorsOpt = Annotated[
    int, typer.Option("--errors", min=0, help="Show the first N errors (all are counted).")
]
IntoArchivesOpt = Annotated[
    bool, typer.Option("--into-archives", help="Count archive members in the extension table.")
]


def scan_command(
    paths: PathsArg = None,
    *,
    largest: LargestOpt = 10,
    top: TopOpt = 20,
    sort: SortOpt = "count",
    errors: ErrorsOpt = 10,
    into_archives: IntoArchivesOpt = False,
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
    """Report on the trees below PATHs: totals (files, dirs, bytes, errors, elapsed,
    entries/s), extensions, the largest files, the errors and the zip archives found (count,
    sizes, findings by severity). Exit 1 when some entries or archives could not be read."""
    from rich.console import Group

    from scanner.cli._options import pick_format
    from scanner.cli._walk_options import ext_sort, walk_config
    from scanner.cli._walk_session import error_consumer, finish, report_sink, run_walk
    from scanner.fs.views import errors_table, ext_rich_table, largest_table, totals_table
    from scanner.output.console import render_text, stdout_console
    from scanner.output.formats import Format, csv_text, dumps_pretty, jsonl_line
    from scanner.output.schema import document, record
    from scanner.runtime.session import Session, run_async
    from scanner.scan import SCAN_CSV_HEADER, ArchiveSection, ScanOptions, ScanReport

    fmt = pick_format(json, jsonl, csv, Format.TABLE)
    options = ScanOptions(sort=ext_sort(sort), top=top, errors_shown=errors)
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
        largest=largest,
    )
    archives = ArchiveSection(into_archives=into_archives)
    config = archives.walk_config(config)

    async def body(session: Session) -> int:
        async with report_sink(output, session) as sink:
            # the errors are in the report: echoing them on stderr too would say it twice
            consumer = error_consumer(sink, as_records=fmt is Format.JSONL, echo=False)
            async with archives.running(lambda: session.interrupted):
                walked = await run_walk(
                    session, config, quiet=quiet, on_batch=archives.consumer(consumer)
                )
            archives.merge_into(walked)
            report = ScanReport(walked, options)
            if fmt is Format.JSON:
                doc = document("scan", **report.json_fields(), archives=archives.fields())
                await sink.write(dumps_pretty(doc))
            elif fmt is Format.JSONL:
                fields = report.json_fields()
                lines = [jsonl_line(record("extension", **r)) for r in fields["extensions"]]
                if fields["others"] is not None:
                    lines.append(jsonl_line(record("others", **fields["others"])))
                lines += [jsonl_line(record("largest", **f)) for f in fields["largest"]]
                lines.append(jsonl_line(record("archives", **archives.fields())))
                lines.append(jsonl_line(record("summary", **fields["summary"])))
                await sink.write("".join(lines))
            elif fmt is Format.CSV:
                rows = report.csv_rows() + archives.csv_rows()
                await sink.write(csv_text(SCAN_CSV_HEADER, rows))
            else:
                parts = [totals_table(walked), ext_rich_table(report.extensions, "extensions")]
                if walked.largest:
                    parts.append(largest_table(walked.largest))
                if walked.error_count:
                    parts.append(errors_table(walked.errors[:errors], walked.error_count))
                parts += archives.rich_tables()
                group = Group(*parts)
                if output is not None:
                    await sink.write(render_text(group))
                else:
                    stdout_console().print(group)
        return archives.exit_code(finish(walked, quiet=quiet))

    raise typer.Exit(run_async(body))
