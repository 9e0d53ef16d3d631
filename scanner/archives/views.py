"""What ``scanner zip`` prints: four views of archive reports in every format.

Views: ``archives`` (one row per archive), ``members`` (``--list``, like ``unzip -l``),
``names`` (``--names``, like ``zipinfo -1``; a text view: machine formats use ``members``) and
``findings`` (``--findings``, the audit). Formats (``scanner.output.formats.Format``):

* TEXT (a pipe, ``--output``, and ``--list``/``--names`` on a terminal): streamed lines, names
  exact (escaped on a terminal); TABLE (a terminal, the archives and findings views): a rich
  table, paths shown relative to the directory searched and shortened in the middle.
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
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from scanner.archives.model import ArchiveReport, Finding, Member, method_name
from scanner.archives.zip.plain import listing_foot, listing_head
from scanner.output.sanitize import display_name, json_path_fields
from scanner.output.shorten import middle, relative_to_roots

if TYPE_CHECKING:
    from rich.console import RenderableType


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


def archive_record(
    report: ArchiveReport,
    *,
    members: bool,
    spooled: Callable[[ArchiveReport], Any] | None = None,
) -> dict[str, Any]:
    """JSON mapping of a report, with the exact path fields (``path`` / ``path_b64``);
    ``spooled`` gives the members of a report that kept none (``--list --json``)."""
    data = report.as_dict(include_members=members)
    if members:
        for rep_dict, rep in zip(_dicts(data), walk_reports(report), strict=False):
            if rep.members is not None and "members" in rep_dict:
                rep_dict["members"] = [member_dict(m) for m in rep.members]
            elif spooled is not None:
                rep_dict["members"] = spooled(rep)
    data.update(json_path_fields(report.path))
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


class ZipView:
    """Archive reports (``archive``, ``error`` and ``member`` records) in every format."""

    command = "zip"
    #: Archives in a document are sorted by path (the order they finish in varies).
    sorted_lists = frozenset({"archives", "errors"})

    def __init__(
        self,
        view: View,
        *,
        roots: Sequence[str] = (),
        separator: str = "\n",
        with_archive: bool = False,
    ) -> None:
        self.view = view
        #: The paths given: tables on a terminal show archive paths relative to them.
        self.roots = tuple(roots)
        #: ``names`` view: what follows each name, and whether the archive path precedes it.
        self.separator = separator
        self.with_archive = with_archive
        #: ``--list --json``: the members of a report that kept none, spooled on disk
        #: (set by the job that spools them).
        self.spooled: Callable[[ArchiveReport], Any] | None = None
        self._header_written = False

    def fields(self, kind: str, item: Any) -> dict[str, Any]:
        """An archive (members nested with ``--list``), a member, or an unreadable file."""
        if kind == "archive":
            return archive_record(item, members=self.view is View.MEMBERS, spooled=self.spooled)
        if kind == "member":
            archive, member = item
            return {**json_path_fields(archive, "archive"), **member_dict(member)}
        return error_record(item)

    def jsonl_record(self, kind: str) -> bool:
        """Members (``--list``), archives and errors are records; the start and end of a
        streamed listing only frame its text."""
        return kind not in ("listing_begin", "listing_end")

    def text(self, kind: str, items: Sequence[Any], *, terminal: bool) -> str:
        """unzip -l / zipinfo -1 text, finding lines, or the archive lines."""
        name = display_name if terminal else _exact
        if kind in ("listing_begin", "member", "listing_end"):
            return self._streamed_text(kind, items, name)
        if kind != "archive":
            return ""  # errors go to stderr; a listing stays parseable
        if self.view is View.NAMES:
            return "".join(
                names_text(r, name, self.separator, with_archive=self.with_archive) for r in items
            )
        if self.view is View.MEMBERS:
            return "".join(listing_text(r, name) for r in items)
        if self.view is View.FINDINGS:
            return "".join(
                "\t".join((name(path), f.code, f.severity.label, name(f.member or "-"), f.message))
                + "\n"
                for r in items
                for path, f in r.iter_findings()
            )
        head = "" if self._header_written else ARCHIVE_HEADER
        self._header_written = True
        return head + "".join(_archive_line(r, name) for r in items)

    def _streamed_text(self, kind: str, items: Sequence[Any], name: Callable[[str], str]) -> str:
        """A listing streamed by the reader: the same bytes :func:`listing_text` and
        :func:`names_text` print for a report that kept its members."""
        if self.view is View.NAMES:
            if kind != "member":
                return ""
            sep = self.separator
            if self.with_archive:
                return "".join(f"{name(archive)}!{name(m.name)}{sep}" for archive, m in items)
            return "".join(f"{name(m.name)}{sep}" for _archive, m in items)
        if kind == "listing_begin":
            return "".join(listing_head(name(archive)) for archive in items)
        if kind == "listing_end":
            return "".join(listing_foot(total, count) for _archive, total, count in items)
        exact = name is _exact
        out = []
        for _archive, m in items:
            mt = m.mtime
            shown = m.name if exact else name(m.name)
            out.append(f"{m.uncompressed_size:>9}  {mt[:10]} {mt[11:16]}   {shown}\n")
        return "".join(out)

    def csv_header(self) -> Sequence[str]:
        """The columns of the view."""
        if self.view is View.MEMBERS:
            return MEMBER_CSV
        if self.view is View.FINDINGS:
            return FINDING_COLUMNS
        return (*ARCHIVE_COLUMNS, "size", "findings", "error")

    def csv_rows(self, kind: str, items: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """A row per member, per finding or per archive (an unreadable one with its error)."""
        if self.view is View.MEMBERS:
            if kind != "member":
                return []
            return [
                [
                    path, m.name, m.uncompressed_size, m.compressed_size, method_name(m.method),
                    f"{m.crc:08x}", m.mtime,
                ]
                for path, m in items
            ]  # fmt: skip
        if self.view is View.FINDINGS:
            if kind != "archive":
                return []
            return [
                [path, f.code, f.severity.label, f.member or "", f.message]
                for r in items
                for path, f in r.iter_findings()
            ]
        if kind == "member":
            return []
        return [
            [
                r.path, r.member_count, r.total_compressed, r.total_uncompressed,
                round(r.ratio, 3), _worst(r), r.size, len(r.iter_findings()),
                "" if r.error is None else r.error.message,
            ]
            for r in items
        ]  # fmt: skip

    def json_key(self, kind: str) -> tuple[str, bool] | None:
        """``archives`` and ``errors`` lists (members are nested in their archive)."""
        if kind == "archive":
            return ("archives", True)
        if kind == "error":
            return ("errors", True)
        return None

    def tables(
        self, records: Sequence[tuple[str, Any]], *, width: int | None
    ) -> list[RenderableType]:
        """One table: the archives, or the findings, sorted by path."""
        reports = sorted(
            (item for kind, item in records if kind in ("archive", "error")), key=lambda r: r.path
        )
        if not reports:
            return []
        if self.view is View.FINDINGS:
            return [self._findings_table(reports, width)]
        return [self._archives_table(reports, width)]

    def _shown(self, path: str, width: int | None) -> str:
        return display_name(path if width is None else relative_to_roots(path, self.roots))

    def _archives_table(self, reports: Sequence[ArchiveReport], width: int | None) -> Any:
        from rich.table import Table

        table = Table()
        for col in ARCHIVE_COLUMNS:
            right = col not in ("path", "worst")
            table.add_column(col, justify="right" if right else "left", no_wrap=True)
        rows = [[self._shown(r.path, width), *archive_cells(r)] for r in reports]
        if width is not None:
            _fit(rows, column=0, width=width)
        for row in rows:
            table.add_row(*row)
        return table

    def _findings_table(self, reports: Sequence[ArchiveReport], width: int | None) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        if width is None:  # a pipe or a file: one plain table, every column whole
            table = Table()
            for col in FINDING_COLUMNS:
                table.add_column(col, no_wrap=True)
            for r in reports:
                for path, f in r.iter_findings():
                    member = display_name(f.member or "-")
                    table.add_row(display_name(path), f.code, f.severity.label, member, f.message)
            return table
        # a terminal: each archive's path on a line of its own (relative to the directory
        # searched, shortened in the middle), then its findings; codes and severities are
        # never cut, members lose their middle, messages wrap
        parts: list[Any] = []
        for r in reports:
            findings = r.iter_findings()
            if not findings:
                continue
            by_archive: dict[str, list[Finding]] = {}
            for path, f in findings:
                by_archive.setdefault(path, []).append(f)
            for path, items in by_archive.items():
                parts.append(Text(middle(self._shown(path, width), width), style="bold"))
                table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
                table.add_column("severity", no_wrap=True)
                table.add_column("code", no_wrap=True)
                table.add_column("member", no_wrap=True)
                table.add_column("message", overflow="fold", ratio=1)
                fixed = max(len(f.severity.label) for f in items) + max(len(f.code) for f in items)
                room = max(12, (width - fixed - 8) // 3)
                for f in items:
                    member = middle(display_name(f.member or "-"), room)
                    table.add_row(f.severity.label, f.code, member, f.message)
                parts.append(table)
        return Group(*parts)


def _fit(
    rows: list[list[str]],
    *,
    column: int,
    width: int,
    share: float = 1.0,
    keep: tuple[int, ...] = (),
) -> None:
    """Shorten ``column`` in the middle so a rich table of ``rows`` fits ``width``: the other
    columns keep their widths (those in ``keep`` count for at least 20), this column gets
    ``share`` of what is left."""
    if not rows:
        return
    ncols = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(ncols)]
    for i in keep:
        widths[i] = min(widths[i], 20)
    # rich's default box: one border per column plus one, a space on each side of a cell
    chrome = 3 * ncols + 1
    room = int((width - chrome - sum(w for i, w in enumerate(widths) if i != column)) * share)
    room = max(room, 12)
    for row in rows:
        row[column] = middle(row[column], room)
