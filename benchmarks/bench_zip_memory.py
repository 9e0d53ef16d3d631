"""Peak memory of the zip reader on a 1,000,000-member archive (issue 13).

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_zip_memory.py

The archive (``--members``, default 1,000,000) is written once to ``--workdir`` (default
``/tmp/scanner-bench-zip-memory``) by :func:`write_archive`: stored members of a few bytes,
UTF-8 flagged names with one non-ASCII letter (so that the ``--names``/``--list`` fast path
declines it and the full reader runs, as for the archive issue 13 measured), ZIP64 end
records. Each row is one fresh interpreter under GNU ``time -f %M`` (peak RSS of that process
alone) that imports the reader and inspects the archive once:

- ``names``: ``--names`` asks the reader for (no audit, no nested archives), members handed
  to a counting :class:`~scanner.archives.reader.MemberSink` and not kept;
- ``list``: ``--list`` (no audit, nested archives opened), same sink;
- ``findings``: the default audit, members neither kept nor handed on;
- ``... kept``: the same with ``keep_members=True``, what the views ask for today (until
  they take the sink), for comparison;
- ``floor``: the interpreter and the reader's imports, nothing read;
- ``fast-names``, ``fast-list``: the start-up fast path of ``scanner zip --names/--list``
  (``scanner.entry``) on a second archive, the same with ASCII, unflagged names (which it
  answers for), its output produced and dropped;
- ``scanner zip --names/--list/--findings`` (and ``--list --jsonl``, ``--names --csv``): the
  whole command, stdout to a pipe that is drained and dropped;
- ``zipinfo -1`` and ``unzip -l`` on the same file.

``--baseline DIR`` adds the same rows for another checkout's ``scanner`` package (e.g. a
``git worktree`` of the commit before the streaming reader). Figures: ``RESULTS.md``,
"Zip archives: 1M-member memory".
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from scanner.compare.timing import run_command  # noqa: E402

MIB = 1024 * 1024

#: What the measured child runs: argv = archive, mode, keep ("0"/"1").
CHILD = r"""
import sys, time
from scanner.archives.config import ZipConfig
from scanner.archives.zip.inspect import inspect_file

class Counting:
    def __init__(self): self.n = 0
    def begin(self, archive): pass
    def members(self, archive, chunk): self.n += len(chunk)
    def end(self, archive): pass

import os, scanner
assert os.path.realpath(scanner.__file__).startswith(os.getcwd()), scanner.__file__
path, mode, keep = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
configs = {
    "floor": None,
    "names": ZipConfig(keep_members=keep, audit=False, recurse=False),
    "list": ZipConfig(keep_members=keep, audit=False),
    "findings": ZipConfig(keep_members=keep),
}
if mode.startswith("fast-"):  # the --names/--list fast path (scanner.entry), output dropped
    from scanner.entry import _read
    start = time.perf_counter()
    found = _read(path, mode == "fast-list", b"\n")
    assert found is not None, "the fast path declined"
    data, count = found
    size = len(data) if isinstance(data, bytes) else sum(len(piece) for piece in data)
    print(count, size, round(time.perf_counter() - start, 3))
    raise SystemExit
cfg = configs[mode]
if cfg is not None:
    start = time.perf_counter()
    try:
        sink = None if keep or mode == "findings" else Counting()
        report = inspect_file(path, cfg, sink) if sink else inspect_file(path, cfg)
    except TypeError:  # a reader without the sink argument (the baseline)
        report = inspect_file(path, cfg)
    print(report.member_count, len(report.findings), round(time.perf_counter() - start, 3))
"""


def write_archive(path: Path, members: int, *, ascii_names: bool = False) -> None:
    """``members`` stored entries with UTF-8 flagged, non-ASCII names (ASCII and unflagged
    with ``ascii_names``: what the fast path answers for), ZIP64 end records; written in one
    pass with bounded memory (the central directory goes to a second file first)."""
    central = path.with_suffix(".cd")
    with path.open("wb") as out, central.open("wb") as cd:
        for i in range(members):
            name = f"dir{i % 100:02d}/f{'i' if ascii_names else 'ï'}le{i:07d}.txt".encode()
            data = b"x" * (i % 7)
            crc = __import__("zlib").crc32(data)
            offset = out.tell()
            # flags (UTF-8), method, time, date, CRC, sizes, name length
            fields = (
                0 if ascii_names else 0x800,
                0,
                0,
                0x5821,
                crc,
                len(data),
                len(data),
                len(name),
            )
            out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, *fields, 0) + name + data)
            cd.write(
                struct.pack(
                    "<4s4B4HL2L5H2L",
                    b"PK\x01\x02",
                    20,
                    3,
                    20,
                    0,
                    *fields,
                    0,
                    0,
                    0,
                    0,
                    0o100644 << 16,
                    offset,
                )
                + name
            )
        cd_offset = out.tell()
    with central.open("rb") as cd, path.open("ab") as out:
        while block := cd.read(MIB):
            out.write(block)
        cd_size = out.tell() - cd_offset
        record = out.tell()
        out.write(
            struct.pack(
                "<4sQ2H2L4Q",
                b"PK\x06\x06",
                44,
                45,
                45,
                0,
                0,
                members,
                members,
                cd_size,
                cd_offset,
            )
        )
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, record, 1))
        out.write(
            struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
        )
    central.unlink()


def peak(argv: list[str], root: Path) -> tuple[float, float, str]:
    """(peak RSS MiB, seconds, stdout) of one run under GNU time, importing ``scanner`` from
    the checkout at ``root`` (its working directory: ``-c`` puts it first on sys.path)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    ran = run_command(argv, env=env, cwd=root, capture=True, gnu_time=True)
    if ran.code != 0:
        raise SystemExit(f"{argv} failed ({ran.code}): {ran.stderr[-500:]!r}")
    return ran.peak_rss_mib, ran.wall_s, ran.stdout.decode().strip()


def main(argv: list[str] | None = None) -> None:
    """Write the archive if needed, then print one table row per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scanner-bench-zip-memory"))
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout's root, for comparison")
    parser.add_argument(
        "--modes", help="comma-separated rows to run (floor, names, list, findings, fast-...)"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    archive = args.workdir / f"members{args.members}.zip"
    clean = args.workdir / f"members{args.members}-ascii.zip"
    if not archive.exists():
        write_archive(archive, args.members)
    if not clean.exists():
        write_archive(clean, args.members, ascii_names=True)
    for path in (archive, clean):
        print(f"{path}: {path.stat().st_size / MIB:.1f} MiB, {args.members:,} members")
    print()
    print("| reader | view | members kept | peak RSS MiB (max of runs) | median s | result |")
    print("|---|---|---|---:|---:|---|")
    checkouts = [("this checkout", REPO)]
    if args.baseline is not None:
        checkouts.append((f"baseline ({args.baseline.name})", args.baseline))
    rows = [("floor", False), ("names", False), ("list", False), ("findings", False)]
    rows += [("names", True), ("list", True), ("findings", True)]
    rows += [("fast-names", False), ("fast-list", False)]
    if args.modes:
        rows = [(mode, keep) for mode, keep in rows if mode in args.modes.split(",")]
    for label, root in checkouts:
        for mode, keep in rows:
            target = clean if mode.startswith("fast-") else archive
            runs = [
                peak([sys.executable, "-c", CHILD, str(target), mode, "1" if keep else "0"], root)
                for _ in range(args.runs)
            ]
            rss = max(r[0] for r in runs)
            secs = statistics.median(r[1] for r in runs)
            print(
                f"| {label} | {mode} | {'yes' if keep else 'no'} | {rss:.1f} | {secs:.2f} | "
                f"{runs[0][2]} |"
            )
    # the whole command, as a user runs it (stdout to /dev/null): the views stream what the
    # reader hands them, so the command holds no more than the reader alone
    for label, root in checkouts:
        for view in (
            "--names", "--list", "--findings", "--list --jsonl", "--list --json", "--names --csv"
        ):
            cmd_runs = [
                peak([sys.executable, "-m", "scanner", "zip", "-q", *view.split(), str(archive)],
                     root)[:2]
                for _ in range(args.runs)
            ]  # fmt: skip
            rss = max(r[0] for r in cmd_runs)
            secs = statistics.median(r[1] for r in cmd_runs)
            print(f"| {label}: `scanner zip {view}` | command | no | {rss:.1f} | {secs:.2f} | |")
    for tool in (["zipinfo", "-1"], ["unzip", "-l"]):  # on the non-ASCII archive
        ran = [run_command([*tool, str(archive)], gnu_time=True) for _ in range(args.runs)]
        tool_runs = [(r.peak_rss_mib, r.wall_s) for r in ran]
        rss = max(r[0] for r in tool_runs)
        secs = statistics.median(r[1] for r in tool_runs)
        print(f"| `{' '.join(tool)}` | - | - | {rss:.1f} | {secs:.2f} | |")


if __name__ == "__main__":
    main()
