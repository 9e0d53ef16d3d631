"""The central-directory reader against zipfile's own view of valid archives."""

from __future__ import annotations

import io
import os
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from scanner.archives.config import ZipConfig
from scanner.archives.zip.central import read_central_directory
from scanner.archives.zip.codes import FindingList
from scanner.archives.zip.endrecords import dos_datetime
from scanner.archives.zip.inspect import inspect_bytes
from scanner.labs.archives import build_zip, many_members_zip, ordinary_zip, stored

Row = tuple[str, int, int, int, int, int]


def _read(data: bytes) -> tuple[list[Row], list[str]]:
    findings = FindingList(100)
    cd = read_central_directory(data, len(data), findings)
    ours = [
        (m.name, m.compressed_size, m.uncompressed_size, m.crc, m.method, m.local_header_offset)
        for m in cd.members
    ]
    return ours, [f.code for f in findings.finish()]


def _zipfile_view(data: bytes) -> list[Row]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [
            (i.filename, i.compress_size, i.file_size, i.CRC, i.compress_type, i.header_offset)
            for i in zf.infolist()
        ]


def _zip_of(fill: dict[str, bytes], **kw: object) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", **kw) as zf:  # type: ignore[call-overload]
        for name, data in fill.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
)
def test_fields_match_zipfile(method: int) -> None:
    data = _zip_of(
        {"a.txt": b"hello" * 100, "dir/": b"", "dir/b.bin": os.urandom(300), "é.txt": b"x"},
        compression=method,
    )
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []


def test_ordinary_lab_archive_matches_zipfile_and_is_clean() -> None:
    data = ordinary_zip(7, 40)
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []
    report = inspect_bytes(data, "o.zip", ZipConfig(verify=True, keep_members=True))
    assert report.findings == []
    assert report.members is not None
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    assert [m.is_dir for m in report.members] == [i.is_dir() for i in infos]
    assert [m.external_attr for m in report.members] == [i.external_attr for i in infos]
    assert [m.mtime for m in report.members] == [
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*i.date_time) for i in infos
    ]


def test_force_zip64_members() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            with zf.open(f"big{i}.bin", "w", force_zip64=True) as fh:
                fh.write(bytes(1000 * (i + 1)))
    data = buf.getvalue()
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []
    report = inspect_bytes(data, "z.zip", ZipConfig(verify=True))
    assert report.findings == []


def test_more_than_65535_members_uses_zip64_end_records() -> None:
    data = many_members_zip(70_000)
    assert b"PK\x06\x06" in data[-200:]
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []
    report = inspect_bytes(data, "many.zip", ZipConfig(max_members=100_000))
    assert report.member_count == 70_000
    assert report.zip64 is True
    assert report.findings == []


def test_hand_packed_many_members_match_zipfile() -> None:
    data = many_members_zip(2000, seed=3)
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []


def test_data_descriptor_archive_is_clean() -> None:
    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buf = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            data = bytes(b)
            self.buf += data
            return len(data)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("streamed.txt", b"streamed " * 500)
        zf.writestr("second.txt", b"two")
    data = bytes(sink.buf)
    ours, _codes = _read(data)
    assert ours == _zipfile_view(data)
    assert ours[0][0] == "streamed.txt"
    flags = struct.unpack_from("<H", data, 6)[0]
    assert flags & 0x08, "zipfile should have used a data descriptor"
    report = inspect_bytes(data, "dd.zip", ZipConfig(verify=True))
    assert report.findings == []


def test_prepended_data_shifts_offsets_like_zipfile() -> None:
    data = b"MZ" + bytes(1000) + _zip_of({"a": b"1", "b": b"22"})
    ours, _ = _read(data)
    assert ours == _zipfile_view(data)
    report = inspect_bytes(data, "sfx.exe", ZipConfig(verify=True))
    assert report.prefix_bytes == 1002
    assert [f.code for f in report.findings] == ["prefix-data"]
    assert "sfx" in report.findings[0].message


def test_names_cp437_utf8_and_unicode_path_field() -> None:
    name = "naïve/ünïcode.txt"
    utf8 = name.encode()
    cp437_raw = "café.txt".encode("cp437")
    other = "ötherpath.txt".encode()
    upath = struct.pack("<HHBL", 0x7075, 5 + len(other), 1, zlib.crc32(b"naive.txt")) + other
    stale = struct.pack("<HHBL", 0x7075, 5 + len(utf8), 1, 12345) + utf8
    data = build_zip(
        [
            stored(utf8, b"1", flags=0x800),
            stored(cp437_raw, b"2"),
            stored(b"naive.txt", b"3", extra=upath),
            stored(b"plain.txt", b"4", extra=stale),
        ]
    )
    report = inspect_bytes(data, "n.zip", ZipConfig(keep_members=True))
    assert report.members is not None
    names = [m.name for m in report.members]
    assert names == [name, "café.txt", "ötherpath.txt", "plain.txt"]
    assert report.members[1].raw_name == cp437_raw
    codes = sorted(f.code for f in report.findings)
    assert codes == ["non-utf8-flagged-name", "unicode-path-mismatch"]


def test_extended_timestamp_wins_over_dos_time() -> None:
    ts = struct.pack("<HHBl", 0x5455, 5, 1, 1_700_000_000)
    data = build_zip([stored("t.txt", b"x", extra=ts)])
    report = inspect_bytes(data, "t.zip", ZipConfig(keep_members=True))
    assert report.members is not None
    assert report.members[0].mtime == "2023-11-14T22:13:20+00:00"
    assert dos_datetime(0x5821, 0x6000) == "2024-01-01T12:00:00"


def test_archive_statistics() -> None:
    data = _zip_of(
        {"A.TXT": b"a" * 1000, "b.txt": b"b", ".bashrc": b"x", "noext": b"yy", "d/": b""},
        compression=zipfile.ZIP_DEFLATED,
    )
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.comment = b"release 1.0"
    data = buf.getvalue()
    report = inspect_bytes(data, "s.zip", ZipConfig())
    assert report.member_count == 5
    assert report.methods == {"deflate": 5}
    assert report.extensions == {"txt": (2, 1001), "": (2, 3)}
    assert report.comment == "release 1.0"
    assert report.total_uncompressed == 1004
    assert report.ratio == pytest.approx(1004 / report.total_compressed)
    assert report.trailing_bytes == 0
    assert report.prefix_bytes == 0
    assert report.worst is None


def _real_archives() -> list[Path]:
    """A few jars/wheels installed on this machine (the JDK's, Python's own test data);
    none on a bare CI image, where the dist-info test below still runs."""
    roots = [Path("/usr/lib/jvm"), Path(sys.base_prefix) / "lib"]
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for pattern in ("**/*.jar", "**/*.whl"):
            found.extend(sorted(root.glob(pattern))[:6])
    return found[:12]


def _dist_info_wheel(tmp: Path) -> bytes:
    """Zip the venv's *.dist-info directories: a real, tool-made set of names/modes."""
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for dist in sorted(site.glob("*.dist-info"))[:40]:
            for path in sorted(dist.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(site))
    del tmp
    return buf.getvalue()


def test_real_dist_info_zip_is_clean(tmp_path: Path) -> None:
    data = _dist_info_wheel(tmp_path)
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []
    report = inspect_bytes(data, "dist-info.zip", ZipConfig(verify=True))
    assert [f.code for f in report.findings] == []


@pytest.mark.parametrize("path", _real_archives(), ids=lambda p: p.name)
def test_real_jars_and_wheels_match_zipfile_and_have_no_structural_findings(path: Path) -> None:
    data = path.read_bytes()
    ours, codes = _read(data)
    assert ours == _zipfile_view(data)
    assert codes == []
    # Thresholds (member count, ratio) may legitimately fire on big real archives;
    # nothing about the structure may.
    report = inspect_bytes(data, str(path), ZipConfig(verify=True, recurse=False))
    structural = {
        f.code
        for f in report.findings
        if f.code not in {"member-count-over-limit", "high-ratio", "total-size-over-limit"}
    }
    assert structural == set()
