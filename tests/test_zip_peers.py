"""Issue 13: archives from other projects' test suites that we misjudged, rebuilt here.

Each case is an equivalent archive written byte by byte (``scanner.labs.archives``' struct
builder: every field as told), named after the public case it mirrors, with what the
peers say about it, measured on this project's machine (Debian 12: UnZip 6.00 and zipinfo
of Debian, CPython 3.11's ``zipfile``):

- ``unzip_t``: the exit code of ``unzip -t`` (0 fine, 1 a warning, 2 an error, 81 a method
  this UnZip lacks: Debian builds it without LZMA);
- ``zipinfo``: the lines of ``zipinfo -1`` (it escapes control characters as ``^X``, prints
  unflagged names as raw bytes and stops a name at NUL);
- ``zipfile``: ``ok``, the exception ``ZipFile()`` raises, or ``testzip`` and what
  ``testzip()`` raises; ``zipfile_names`` what ``namelist()`` gives when it matters.

``test_our_verdict`` checks what we say (``ours`` must all be raised, nothing beyond
``allowed``; ``names`` is what we list); ``test_the_peers_still_say_so`` runs whichever
peers are installed and checks the record, so the table cannot go stale.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from scanner.archives.config import ZipConfig
from scanner.archives.zip.inspect import inspect_bytes
from scanner.archives.zip.plain import listing_stamp
from scanner.labs.archives import (
    DOS_DATE,
    HOSTILE_CASES,
    Layout,
    RawEntry,
    build_zip,
    deflated,
    extra_field,
    lzma_entry,
    stored,
    virtual_entry,
    with_zip64_end,
)

TEXT = b"hello world\n" * 20
OK = deflated("ok.txt", TEXT)
#: The environment the peers run in: UTF-8, UTC (unzip -l prints local times).
PEER_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"}


@dataclass(frozen=True)
class PeerCase:
    """An archive, the public case it mirrors, and every verdict on it."""

    build: Callable[[], bytes]
    mirrors: str
    unzip_t: int
    zipinfo: tuple[bytes, ...]
    zipfile: str
    ours: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()
    names: tuple[str, ...] | None = None
    zipfile_names: tuple[str, ...] | None = None
    #: our verdict with --verify (False: the finding must come without it)
    verify: bool = True


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def _hostile(name: str) -> Callable[[], bytes]:
    return HOSTILE_CASES[name].build


CASES: dict[str, PeerCase] = {
    # --- false alarms on valid archives: all peers accept them, so must we -------------
    "lzma-no-eos": PeerCase(
        lambda: build_zip([lzma_entry("a.txt", TEXT * 3, eos=False)]),
        "libzip regress/lzma-no-eos.zip (also WinZip 26 .zipx, libarchive's LZMA tests): "
        "flag bit 1 clear, no end marker; the declared size ends the stream",
        unzip_t=81,
        zipinfo=(b"a.txt",),
        zipfile="ok",
    ),
    "lzma-eos": PeerCase(
        lambda: build_zip([lzma_entry("a.txt", TEXT * 3, eos=True)]),
        "the same member with flag bit 1 and an end marker (what zipfile writes)",
        unzip_t=81,
        zipinfo=(b"a.txt",),
        zipfile="ok",
    ),
    "zip64-locator-in-name": PeerCase(
        lambda: build_zip([stored(b"x/PK\x06\x070123456789abcdef", b"data")]),
        "zip2 tests/data/zip64_magic_in_filename_*.zip: the last name ends with a ZIP64 "
        "locator signature exactly 20 bytes before the end record",
        unzip_t=0,
        zipinfo=(b"x/PK^F^G0123456789abcdef",),
        zipfile="BadZipFile",  # "zipfiles that span multiple disks are not supported"
        ours=_codes("control-char-in-name"),
    ),
    "zip64-records-in-name": PeerCase(
        lambda: build_zip(
            [stored(b"PK\x06\x06" + b"a" * 60 + b"PK\x06\x070123456789abcdef", b"d")]
        ),
        "zip2 zip64_magic_in_filename_*: ZIP64 end record and locator signatures in a name",
        unzip_t=0,
        zipinfo=(b"PK^F^F" + b"a" * 60 + b"PK^F^G0123456789abcdef",),
        zipfile="BadZipFile",
        ours=_codes("control-char-in-name"),
    ),
    "descriptor-beside-empty-zip64-extra": PeerCase(
        lambda: build_zip(
            [
                replace(
                    OK, flags=0x08, descriptor=True, extra=extra_field(0x0001, b""), local_extra=b""
                )
            ]
        ),
        "minizip-ng's zip64.zip: an (empty) ZIP64 extra field in the central record, a "
        "16-byte data descriptor (once taken for 24 bytes: entry-overlaps-cd)",
        unzip_t=0,
        zipinfo=(b"ok.txt",),
        zipfile="ok",
    ),
    "zip64-descriptor": PeerCase(
        lambda: build_zip(
            [replace(OK, flags=0x08, descriptor=True, descriptor_wide=True, local_extra=b"")]
        ),
        "a 24-byte (8-byte sizes) data descriptor without any ZIP64 extra field",
        unzip_t=0,
        zipinfo=(b"ok.txt",),
        zipfile="ok",
    ),
    "zip64-3mf": PeerCase(
        lambda: with_zip64_end(
            build_zip([OK, stored("3D/3dmodel.model", b"<model/>")]), sentinels=True
        ),
        "libzip regress/zip64-3mf.zip, libarchive issue 869: every classic end-record field "
        "0xFFFF/0xFFFFFFFF, disks included, and a valid ZIP64 end record (once multi-disk)",
        unzip_t=0,
        zipinfo=(b"ok.txt", b"3D/3dmodel.model"),
        zipfile="ok",
    ),
    "zipflinger-padding": PeerCase(
        lambda: build_zip(
            [OK, stored("classes.dex", b"dex\n035\0")],
            Layout(between={1: virtual_entry(65535) + virtual_entry(400)}),
        ),
        "Android debug APKs built by Gradle (zipflinger LocalFileHeader.fillVirtualEntry): "
        "nameless, dataless local headers with a zero-filled extra behind id 0xD935 fill "
        "the gaps (once orphan-local-header, medium)",
        unzip_t=0,
        zipinfo=(b"ok.txt", b"classes.dex"),
        zipfile="ok",
        ours=_codes("padding-entry"),
    ),
    # --- misses: peers refuse, warn or read something else --------------------------------
    "hidden-end-record": PeerCase(
        _hostile("hidden-end-record"),
        "Go issue 66869: an end record whose comment covers a second archive, whose end "
        "record's comment runs past the file; unzip and zipfile read the second",
        unzip_t=1,  # "caution: zipfile comment truncated"
        zipinfo=(b"b.txt",),
        zipfile="ok",
        ours=_codes("multiple-end-records", "truncated"),
        allowed=_codes("prefix-data", "orphan-local-header"),
        names=("b.txt",),
    ),
    "local-extra-overrun": PeerCase(
        _hostile("local-extra-overrun"),
        'unzip -t\'s "EF block length exceeds remaining EF data" (7-Zip: Headers Error): '
        "a local extra field longer than the local extra area",
        unzip_t=2,
        zipinfo=(b"ok.txt",),
        zipfile="ok",
        ours=_codes("bad-extra-field"),
    ),
    "local-unicode-path-twice": PeerCase(
        _hostile("local-unicode-path-twice"),
        "libzip regress/incons-ef-local-dupe-utf8name.zip: two 0x7075 fields in the local "
        "header, the last naming another file",
        unzip_t=1,  # 'mismatching "local" filename (evil.txt)'
        zipinfo=(b"ok.txt",),
        zipfile="ok",
        ours=_codes("bad-extra-field", "local-mismatch"),
    ),
    "local-time-mismatch": PeerCase(
        _hostile("local-time-mismatch"),
        "libzip regress/incons-central-date.zip: local and central DOS dates differ",
        unzip_t=0,
        zipinfo=(b"ok.txt",),
        zipfile="ok",
        ours=_codes("local-time-mismatch"),
    ),
    "zip64-record-gap": PeerCase(
        _hostile("zip64-record-gap"),
        'libzip\'s "EOCD64 overlaps EOCD, or there is space between them": 8 bytes '
        "between the ZIP64 end record and its locator",
        unzip_t=0,
        zipinfo=(b"ok.txt",),
        zipfile="BadZipFile",  # "Bad magic number for central directory"
        ours=_codes("zip64-record-gap"),
    ),
    "data-after-stream": PeerCase(
        _hostile("data-after-stream"),
        "libzip's COMPRESSED_DATA_TRAILING_GARBAGE: bytes after the deflate stream's end, "
        "inside the declared compressed size",
        unzip_t=0,
        zipinfo=(b"ok.txt",),
        zipfile="ok",
        ours=_codes("data-after-stream"),
    ),
    "undefined-method": PeerCase(
        _hostile("unknown-method"),
        "issue 13's corpus: compression method 65226, which no specification defines",
        unzip_t=81,  # "unsupported compression method 65226"
        zipinfo=(b"m.bin",),
        zipfile="testzip NotImplementedError",
        ours=_codes("unknown-method"),
        verify=False,
    ),
    # --- listing differences, decided ------------------------------------------------------
    "unflagged-utf8-name": PeerCase(
        lambda: build_zip([stored("café/naïve.txt".encode(), b"x")]),
        "issue 13: unflagged names that are valid UTF-8 (zipinfo and 7-Zip show UTF-8)",
        unzip_t=0,
        zipinfo=("café/naïve.txt".encode(),),
        zipfile="ok",
        zipfile_names=("caf├⌐/na├»ve.txt",),
        ours=_codes("non-utf8-flagged-name"),
        names=("café/naïve.txt",),
    ),
    "unflagged-cp437-name": PeerCase(
        lambda: build_zip([stored(b"caf\x82.txt", b"x")]),
        "CPython's zip_cp437_header.zip: an unflagged name that is not UTF-8 (cp437)",
        unzip_t=0,
        zipinfo=(b"caf\x82.txt",),
        zipfile="ok",
        zipfile_names=("café.txt",),
        ours=_codes("non-utf8-flagged-name"),
        names=("café.txt",),
    ),
    "control-characters": PeerCase(
        lambda: build_zip([stored(b"tab\there", b"x"), stored(b"esc\x1b[31m", b"x")]),
        "issue 13: control characters in names (zipinfo escapes them)",
        unzip_t=0,
        zipinfo=(b"tab^Ihere", b"esc^[[31m"),
        zipfile="ok",
        ours=_codes("control-char-in-name"),
        names=("tab\there", "esc\x1b[31m"),
    ),
    "nul-in-name": PeerCase(
        lambda: build_zip([stored(b"safe.txt\x00../../evil", b"x")]),
        "libzip regress/incons-utf8-nul-in-name.zip: NUL in a name (C tools stop there)",
        unzip_t=0,
        zipinfo=(b"safe.txt",),
        zipfile="ok",
        zipfile_names=("safe.txt",),
        ours=_codes("nul-in-name", "path-traversal"),
        names=("safe.txt\x00../../evil",),
    ),
}


def _zipfile_verdict(data: bytes) -> tuple[str, tuple[str, ...]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = tuple(zf.namelist())
            try:
                bad = zf.testzip()
            except Exception as exc:
                return f"testzip {type(exc).__name__}", names
            return ("ok" if bad is None else f"testzip bad {bad}"), names
    except Exception as exc:
        return type(exc).__name__, ()


@pytest.mark.parametrize("name", sorted(CASES))
def test_our_verdict(name: str) -> None:
    case = CASES[name]
    cfg = ZipConfig(verify=case.verify, keep_members=True)
    report = inspect_bytes(case.build(), f"{name}.zip", cfg)
    codes = {f.code for _path, f in report.iter_findings()}
    assert case.ours <= codes, f"{name}: missing {sorted(case.ours - codes)}"
    assert codes <= case.ours | case.allowed, f"{name}: also {sorted(codes - case.ours)}"
    if case.names is not None:
        assert report.members is not None
        assert tuple(m.name for m in report.members) == case.names


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_peers_still_say_so(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    data = case.build()
    verdict, names = _zipfile_verdict(data)
    assert verdict == case.zipfile
    if case.zipfile_names is not None:
        assert names == case.zipfile_names
    path = tmp_path / f"{name}.zip"
    path.write_bytes(data)
    if shutil.which("unzip"):
        ran = subprocess.run(
            ["unzip", "-t", str(path)], capture_output=True, env=PEER_ENV, check=False
        )
        assert ran.returncode == case.unzip_t, ran.stdout
    if shutil.which("zipinfo"):
        ran = subprocess.run(
            ["zipinfo", "-1", str(path)], capture_output=True, env=PEER_ENV, check=False
        )
        assert tuple(ran.stdout.splitlines()) == case.zipinfo


# --- Unix times: Info-ZIP's reading ---------------------------------------------------------


def _dos(year: int, month: int = 1, day: int = 1) -> int:
    return (year - 1980) << 9 | month << 5 | day


#: name -> (extra field, DOS date, what unzip -l shows, our mtime)
TIMES: dict[str, tuple[bytes, int, str, str]] = {
    "ut-2105": (
        extra_field(0x5455, b"\x01" + struct.pack("<L", 4_260_211_200)),
        _dos(2105),
        "2105-01-01 00:00",  # once listed as 1968 (read as signed)
        "2105-01-01T00:00:00+00:00",
    ),
    "ut-top-bit-with-1980-dos-date": (
        # signed, 1968; unsigned, 2104: Info-ZIP cannot tell and keeps the DOS time
        extra_field(0x5455, b"\x01" + struct.pack("<l", -50_000_000)),
        _dos(1980),
        "1980-01-01 00:00",
        "1980-01-01T00:00:00",
    ),
    "info-zip-unix-0x5855": (
        extra_field(0x5855, struct.pack("<LL", 1_700_000_000, 1_600_000_000)),
        DOS_DATE,
        "2020-09-13 12:26",
        "2020-09-13T12:26:40+00:00",
    ),
    "pkware-unix-0x000d": (
        extra_field(0x000D, struct.pack("<LLHH", 1_700_000_000, 1_600_000_000, 0, 0)),
        DOS_DATE,
        "2020-09-13 12:26",
        "2020-09-13T12:26:40+00:00",
    ),
    "ut-wins-over-0x5855": (
        extra_field(0x5855, struct.pack("<LL", 0, 1_600_000_000))
        + extra_field(0x5455, b"\x01" + struct.pack("<L", 1_700_000_000)),
        DOS_DATE,
        "2023-11-14 22:13",
        "2023-11-14T22:13:20+00:00",
    ),
}


@pytest.mark.parametrize("name", sorted(TIMES))
def test_unix_times_are_read_as_info_zip_reads_them(name: str, tmp_path: Path) -> None:
    extra, date, unzip_shows, ours = TIMES[name]
    entry = RawEntry(b"t.txt", payload=b"x", plain=b"x", extra=extra, date=date, time=0)
    data = build_zip([entry])
    report = inspect_bytes(data, "t.zip", ZipConfig(keep_members=True))
    assert report.members is not None
    assert report.members[0].mtime == ours
    assert listing_stamp(ours) == unzip_shows
    if shutil.which("unzip"):
        path = tmp_path / "t.zip"
        path.write_bytes(data)
        ran = subprocess.run(
            ["unzip", "-l", str(path)], capture_output=True, env=PEER_ENV, check=False
        )
        assert f"{unzip_shows}   t.txt".encode() in ran.stdout
