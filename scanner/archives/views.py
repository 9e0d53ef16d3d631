"""How ``scanner zip`` writes archive reports: one writer per output format, three views.

Views: ``archives`` (one row per archive), ``members`` (``--list``, like ``unzip -l``),
``names`` (``--names``, like ``zipinfo -1``; a text view: machine formats use ``members``) and
``findings`` (``--findings``, the audit). Formats (``scanner.output.formats.Format``):

* TEXT (stdout not a terminal, or ``--output`` without a format flag): streamed lines, names
  exact; TABLE (a terminal): the same for ``--list``, a rich table otherwise, names escaped.
* JSONL: streamed records. ``member`` records (``--list`` only, before their archive),
  one ``archive`` record per archive as it completes with its findings and nested archives
  *nested* inside it, ``error`` records for files that could not be read, and a final
  ``summary`` record.
* JSON: one document ``{"archives": [...], "errors": [...], "summary": {...}}``, members
  nested in their archive with ``--list``.
* CSV: one row per archive, per member (``--list``) or per finding (``--findings``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from scanner.archives.model import ArchiveReport, ArchiveSummary, Finding, Member, method_name
from scanner.archives.zip.plain import listing_foot, listing_head
from scanner.output.formats import Format, csv_text, dumps_pretty, jsonl_line
from scanner.output.sanitize import display_name, json_path_fields
from scanner.output.schema import document, record

if TYPE_CHECKING:
    from scanner.output.sink import Sink


class View(enum.Enum):
    """What is written per archive."""

    ARCHIVES = "archives"
    MEMBERS = "members"
    NAMES = "names"
    FINDINGS = "findings"


ARCHIVE_COLUMNS = ("path", "members", "compressed", "uncompressed", "ratio", "worst")
FINDING_COLUMNS = ("archive", "code", "severity", "member", "message")
MEMBER_CSV = ("archive", "name", "size", "compressed", "method", "crc", "mtime")


def walk_reports(report: ArchiveReport) -> Iterator[ArchiveReport]:
    """The report and its nested reports, depth first."""
    yield report
    for child in report.nested:
        yield from walk_reports(child)


def _ratio(report: ArchiveReport) -> str:
    return f"{report.ratio:.1f}" if report.member_count else "-"


def _worst(report: ArchiveReport) -> str:
    if report.error is not None:
        return "error"
    worst = report.worst
    return "-" if worst is None else worst.label


def archive_cells(report: ArchiveReport) -> list[str]:
    """The archive row without the path, as text."""
    return [
        f"{report.member_count:,}",
        f"{report.total_compressed:,}",
        f"{report.total_uncompressed:,}",
        _ratio(report),
        _worst(report),
    ]


def _archive_line(report: ArchiveReport, name: Callable[[str], str]) -> str:
    members, compressed, uncompressed, ratio, worst = archive_cells(report)
    return (
        f"{members:>10} {compressed:>15} {uncompressed:>15} {ratio:>8} {worst:<8} "
        f"{name(report.path)}\n"
    )


ARCHIVE_HEADER = (
    f"{'members':>10} {'compressed':>15} {'uncompressed':>15} {'ratio':>8} {'worst':<8} path\n"
)


def listing_text(report: ArchiveReport, name: Callable[[str], str]) -> str:
    """Members of one archive (and its nested ones) the way ``unzip -l`` prints them (the
    ``zip --list`` fast path, :func:`scanner.archives.zip.plain.read_plain_listing`, prints the
    same bytes for a clean archive)."""
    out: list[str] = []
    exact = name is _exact
    for rep in walk_reports(report):
        members = rep.members
        if members is None:
            continue
        out.append(listing_head(name(rep.path)))
        total = 0
        # one f-string per member and one join per archive: this loop is the hot path of
        # listing a 100k-member archive
        for m in members:
            size = m.uncompressed_size
            total += size
            mt = m.mtime
            shown = m.name if exact else name(m.name)
            out.append(f"{size:>9}  {mt[:10]} {mt[11:16]}   {shown}\n")
        out.append(listing_foot(total, len(members)))
    return "".join(out)


def names_text(
    report: ArchiveReport, name: Callable[[str], str], separator: str, *, with_archive: bool
) -> str:
    """Member names of one archive (not of nested ones, as ``zipinfo -1``), each followed by
    ``separator``; prefixed with ``ARCHIVE!`` when several archives may be listed."""
    members = report.members or ()
    if not members:
        return ""
    names = map(name, [m.name for m in members])
    if with_archive:
        prefix = name(report.path) + "!"
        return "".join(f"{prefix}{n}{separator}" for n in names)
    return separator.join(names) + separator


def _finding_rows(report: ArchiveReport) -> Iterator[tuple[str, Finding]]:
    yield from report.iter_findings()


def _exact(name: str) -> str:
    return name


def error_record(report: ArchiveReport) -> dict[str, Any]:
    """The ``error`` record of a report whose file could not be read."""
    err = report.error
    assert err is not None
    return {
        **json_path_fields(report.path),
        "phase": err.phase,
        "message": err.message,
        # the same fields as the walk's error records (scanner.fs.views.error_fields)
        "errno": err.errno,
        "errno_name": err.errno_name,
    }


def archive_record(report: ArchiveReport, *, members: bool) -> dict[str, Any]:
    """JSON mapping of a report, with the exact path fields (``path`` / ``path_b64``)."""
    data = report.as_dict(include_members=members)
    data.update(json_path_fields(report.path))
    if members:
        for rep_dict, rep in zip(_dicts(data), walk_reports(report), strict=False):
            if rep.members is not None and "members" in rep_dict:
                rep_dict["members"] = [member_dict(m) for m in rep.members]
    return data


def _dicts(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield data
    for child in data.get("nested", []):
        yield from _dicts(child)


def member_dict(member: Member) -> dict[str, Any]:
    """A member as JSON, its name exact (``name_b64`` when it is not valid UTF-8)."""
    data = member.as_dict()
    data.update(json_path_fields(member.name, "name"))
    return data


class ReportWriter:
    """Writes reports as they complete, then the end of the output."""

    def __init__(
        self,
        sink: Sink,
        fmt: Format,
        view: View,
        *,
        terminal: bool,
        separator: str = "\n",
        with_archive: bool = False,
    ) -> None:
        self.sink = sink
        self.fmt = fmt
        self.view = view
        #: ``names`` view: what follows each name, and whether the archive path precedes it
        self.separator = separator
        self.with_archive = with_archive
        # names escaped for people on a terminal, exact everywhere else
        self.name: Callable[[str], str] = display_name if terminal else _exact
        self._rows: list[ArchiveReport] = []  # TABLE and JSON: printed at the end
        self._started = False

    @property
    def collects(self) -> bool:
        """True when the output is written only at the end (a table or one JSON document)."""
        return self.fmt is Format.JSON or (
            self.fmt is Format.TABLE and self.view not in (View.MEMBERS, View.NAMES)
        )

    async def report(self, report: ArchiveReport) -> None:
        """One archive finished."""
        if self.collects:
            self._rows.append(report)
            return
        text = self._stream_text(report)
        if text:
            await self.sink.write(text)

    def _stream_text(self, report: ArchiveReport) -> str:
        header = not self._started
        self._started = True
        if self.fmt is Format.JSONL:
            return self._jsonl(report)
        if self.fmt is Format.CSV:
            return self._csv(report, header)
        if self.view in (View.MEMBERS, View.NAMES):
            if report.error is not None:
                return ""  # errors go to stderr; the listing stays parseable
            if self.view is View.NAMES:
                return names_text(report, self.name, self.separator, with_archive=self.with_archive)
            return listing_text(report, self.name)
        if self.view is View.FINDINGS:
            return "".join(
                "\t".join(
                    (
                        self.name(path),
                        f.code,
                        f.severity.label,
                        self.name(f.member or "-"),
                        f.message,
                    )
                )
                + "\n"
                for path, f in _finding_rows(report)
            )
        return (ARCHIVE_HEADER if header else "") + _archive_line(report, self.name)

    def _jsonl(self, report: ArchiveReport) -> str:
        if report.error is not None:
            return jsonl_line(record("error", **error_record(report)))
        lines: list[str] = []
        if self.view is View.MEMBERS:
            for rep in walk_reports(report):
                for m in rep.members or ():
                    lines.append(
                        jsonl_line(
                            record(
                                "member", **json_path_fields(rep.path, "archive"), **member_dict(m)
                            )
                        )
                    )
        lines.append(jsonl_line(record("archive", **archive_record(report, members=False))))
        return "".join(lines)

    def _csv(self, report: ArchiveReport, header: bool) -> str:
        rows: list[list[Any]]
        if self.view is View.MEMBERS:
            columns: tuple[str, ...] = MEMBER_CSV
            rows = [
                [
                    rep.path,
                    m.name,
                    m.uncompressed_size,
                    m.compressed_size,
                    method_name(m.method),
                    f"{m.crc:08x}",
                    m.mtime,
                ]
                for rep in walk_reports(report)
                for m in rep.members or ()
            ]
        elif self.view is View.FINDINGS:
            columns = FINDING_COLUMNS
            rows = [
                [path, f.code, f.severity.label, f.member or "", f.message]
                for path, f in _finding_rows(report)
            ]
        else:
            columns = (*ARCHIVE_COLUMNS, "size", "findings", "error")
            rows = [
                [
                    report.path,
                    report.member_count,
                    report.total_compressed,
                    report.total_uncompressed,
                    round(report.ratio, 3),
                    _worst(report),
                    report.size,
                    len(report.iter_findings()),
                    "" if report.error is None else report.error.message,
                ]
            ]
        return csv_text(columns, rows, with_header=header)

    async def finish(self, summary: ArchiveSummary) -> None:
        """Write what was collected (also after Ctrl-C: what finished is printed)."""
        if self.fmt is Format.JSONL:
            await self.sink.write(jsonl_line(record("summary", **summary.as_dict())))
        elif self.fmt is Format.JSON:
            members = self.view is View.MEMBERS
            rows = sorted(self._rows, key=lambda r: r.path)
            doc = document(
                "zip",
                archives=[archive_record(r, members=members) for r in rows if r.error is None],
                errors=[error_record(r) for r in rows if r.error is not None],
                summary=summary.as_dict(),
            )
            await self.sink.write(dumps_pretty(doc))
        elif self.fmt is Format.TABLE and self._rows:
            await self.sink.write(self._table())

    def _table(self) -> str:
        from rich.table import Table

        from scanner.output.console import render_text

        rows = sorted(self._rows, key=lambda r: r.path)
        table = Table()
        if self.view is View.FINDINGS:
            for col in FINDING_COLUMNS:
                table.add_column(col)
            for rep in rows:
                for path, f in _finding_rows(rep):
                    table.add_row(
                        display_name(path),
                        f.code,
                        f.severity.label,
                        display_name(f.member or "-"),
                        f.message,
                    )
        else:
            for col in ARCHIVE_COLUMNS:
                table.add_column(col, justify="left" if col in ("path", "worst") else "right")
            for rep in rows:
                table.add_row(display_name(rep.path), *archive_cells(rep))
        import shutil

        return render_text(table, width=shutil.get_terminal_size().columns)
