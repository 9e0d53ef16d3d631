"""``scanner zip PATH...``: list and audit zip archives without extracting them."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.archives.config import ZipConfig
from scanner.cli._cluster_options import cluster_options
from scanner.cli._groups import ClusterOptions, DataOptions
from scanner.cli._options import data_options, duration

#: The audit thresholds' defaults, shown in --help (each documented with its source there).
_DEFAULTS = ZipConfig()

PathsArg = Annotated[
    list[str],
    typer.Argument(help="Archives, or directories to search for archives.", show_default=False),
]
ListOpt = Annotated[
    bool, typer.Option("--list", "-l", help="List members like `unzip -l` (size, date, name).")
]
NamesOpt = Annotated[
    bool,
    typer.Option(
        "--names",
        help="Only member names, one per line, like `zipinfo -1` (ARCHIVE!NAME when several "
        "archives may be listed; nested archives not opened).",
    ),
]
NullOpt = Annotated[
    bool, typer.Option("--print0", "-0", help="With --names: end each name with NUL, not newline.")
]
FindingsOpt = Annotated[
    bool, typer.Option("--findings", help="Show the audit: code, severity, member, message.")
]
VerifyOpt = Annotated[
    bool,
    typer.Option(
        "--verify", help="Decompress every member to nowhere and check CRCs and sizes (bounded)."
    ),
]
SniffOpt = Annotated[
    bool,
    typer.Option(
        "--sniff", help="In directories, also recognise archives by content (reads file tails)."
    ),
]
FailOnOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        metavar="SEVERITY",
        help="Exit 1 when a finding at or above SEVERITY exists "
        "(info, low, medium, high, critical).",
    ),
]
MaxRatioOpt = Annotated[
    float,
    typer.Option(
        "--max-ratio",
        help="A high-ratio finding above this declared ratio (for members over 16 MiB).",
    ),
]
MaxSizeOpt = Annotated[
    int,
    typer.Option(
        "--max-size", help="Finding when an archive declares more uncompressed bytes (8 GiB)."
    ),
]
MaxMembersOpt = Annotated[
    int, typer.Option("--max-members", help="Finding above this many members.")
]
MaxDepthOpt = Annotated[
    int, typer.Option("--max-depth", help="Finding when archives nest deeper (hard stop: 16).")
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-j", help="Archives inspected at once.", min=1)
]
DeadlineOpt = Annotated[
    float,
    typer.Option(
        "--deadline",
        parser=duration(bare_max=None),
        metavar="DURATION",
        help="Time one archive may take before it is abandoned (an error): 90s, 2m, 500ms.",
    ),
]


@cluster_options
@data_options
def zip_command(
    paths: PathsArg,
    *,
    list_members: ListOpt = False,
    names: NamesOpt = False,
    null: NullOpt = False,
    findings: FindingsOpt = False,
    verify: VerifyOpt = False,
    sniff: SniffOpt = False,
    fail_on: FailOnOpt = None,
    max_ratio: MaxRatioOpt = _DEFAULTS.ratio_high,
    max_size: MaxSizeOpt = _DEFAULTS.max_total_uncompressed,
    max_members: MaxMembersOpt = _DEFAULTS.max_members,
    max_depth: MaxDepthOpt = _DEFAULTS.max_nested_depth,
    workers: WorkersOpt = 4,
    deadline: DeadlineOpt = 60.0,
    clu: ClusterOptions,
    data: DataOptions,
) -> int:
    """List and audit zip archives (zip, jar, whl, docx, apk, ...) without extracting them.

    Exit 0 when every file was read, 1 when some could not be or a finding reached
    --fail-on, 3 on a usage error, 130 on Ctrl-C (what finished is printed).
    """
    import os
    import sys
    from dataclasses import replace

    from scanner.archives.config import EngineConfig
    from scanner.archives.jobs import ZipJob
    from scanner.archives.model import Severity
    from scanner.archives.views import View, ZipView
    from scanner.cli._cluster import on_cluster
    from scanner.cli._output import usage
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    if list_members + names + findings > 1:
        raise usage("choose one of --list, --names, --findings")
    if null and not names:
        raise usage("-0/--print0 goes with --names")
    threshold: Severity | None = None
    if fail_on is not None:
        try:
            threshold = Severity.parse(fail_on)
        except ValueError as exc:
            raise usage(f"--fail-on: {exc}") from None
    for name, value in (("--max-size", max_size), ("--max-members", max_members)):
        if value < 0:
            raise usage(f"{name} must be 0 or more, not {value}")
    if not 0 <= max_depth <= _DEFAULTS.nested_hard_limit:
        raise usage(f"--max-depth must be between 0 and 16, not {max_depth}")
    if not max_ratio > 0:
        raise usage(f"--max-ratio must be more than 0, not {max_ratio}")
    if not deadline > 0:
        raise usage(f"--deadline must be more than 0, not {deadline}")

    terminal = data.output is None and sys.stdout.isatty()
    listing = list_members or names
    # a terminal gets a table for the archives and the findings; listings always stream
    table = terminal and not listing
    out = data.output_for(default=Format.TABLE if table else Format.TEXT)
    choice = clu.choice()
    text = out.fmt in (Format.TEXT, Format.TABLE)
    view = (
        View.NAMES
        if names and text
        else View.MEMBERS  # names in records: the member records hold them
        if listing
        else View.FINDINGS
        if findings
        else View.ARCHIVES
    )
    # a listing into lines, JSONL or CSV streams its members as the reader finds them; a JSON
    # document nests them in their archive, written at the end, so they wait on disk; a
    # cluster's task, which cannot call back, keeps them
    stream = listing and out.fmt is not Format.JSON and choice is None
    spool = listing and out.fmt is Format.JSON and choice is None
    cfg = replace(
        _DEFAULTS,
        keep_members=listing and not stream and not spool,
        # --list/--names read the central directory only, like zipinfo; auditing too (local
        # headers, overlaps) costs ~2.5x on a 100k-member archive: it needs --fail-on/--verify
        audit=not listing or fail_on is not None or verify,
        # --names lists each archive's own directory, as zipinfo -1 does
        recurse=not (names and text),
        verify=verify,
        ratio_high=max_ratio,
        max_total_uncompressed=max_size,
        max_members=max_members,
        max_nested_depth=max_depth,
    )
    shown = ZipView(
        view,
        roots=tuple(paths),
        separator="\0" if null else "\n",
        with_archive=len(paths) > 1 or any(os.path.isdir(p) for p in paths),
    )
    job = ZipJob(
        tuple(paths),
        cfg,
        EngineConfig(workers=workers, deadline=deadline),
        shown,
        sniff=sniff,
        fail_on=threshold,
        warn_errors=text,
        stream_members=stream,
        spool_members=spool,
    )
    return execute(on_cluster(job, choice), out)
