"""A deterministic, seeded generator of ordinary and hostile zip archives.

Used by the zip tests (each audit check has a case here that must fire it), by the zip
benchmarks (trees of small archives, a 100k-member listing, a 200 MiB bzip2 member) and
by the comparison module. Everything is built in memory with ``struct.pack`` (so any
field can lie) or with :mod:`zipfile` for ordinary archives; only the ``write_*``
helpers touch the disk, and only under the directory they are given.

Same seed, same bytes: DOS timestamps are fixed and payloads come from ``random.Random``.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner.archives.config import ZipConfig

DOS_DATE = (2024 - 1980) << 9 | 6 << 5 | 15  # 2024-06-15
DOS_TIME = 12 << 11 | 30 << 5  # 12:30:00
FIXED_DATE_TIME = (2024, 6, 15, 12, 30, 0)
REGULAR = 0o100644 << 16
UNIX = 3


# --------------------------------------------------------------------------- builder
@dataclass(frozen=True)
class RawEntry:
    """One entry written by :func:`build_zip`; every field may lie on purpose.

    ``payload`` is written as the member's data (already compressed). ``usize`` and
    ``crc`` default to those of ``plain``. ``local_*`` fields override what the local
    header says (None: same as central). ``offset`` forces the central record's local
    header offset (for entries that point somewhere else); ``write_local=False`` writes
    no local header or data for this entry.
    """

    name: bytes
    payload: bytes = b""
    plain: bytes | None = None
    method: int = 0
    usize: int | None = None
    csize: int | None = None
    crc: int | None = None
    flags: int = 0
    system: int = UNIX
    external_attr: int = REGULAR
    extra: bytes = b""
    local_extra: bytes | None = None
    local_name: bytes | None = None
    local_crc: int | None = None
    local_usize: int | None = None
    local_csize: int | None = None
    local_method: int | None = None
    local_flags: int | None = None
    offset: int | None = None
    write_local: bool = True
    descriptor: bool = False
    #: with ``descriptor``: 8-byte sizes in it (ZIP64) and whether it starts with PK\x07\x08
    descriptor_wide: bool = False
    descriptor_sig: bool = True
    disk: int = 0
    #: DOS time and date of the central record; the local header's when not overridden
    time: int = DOS_TIME
    date: int = DOS_DATE
    local_time: int | None = None
    local_date: int | None = None
    #: the entry comment (central record only)
    comment: bytes = b""


def stored(name: str | bytes, data: bytes, **kw: object) -> RawEntry:
    """A stored entry of ``data``."""
    raw = name.encode() if isinstance(name, str) else name
    return RawEntry(raw, payload=data, plain=data, method=0, **kw)  # type: ignore[arg-type]


def deflated(name: str | bytes, data: bytes, **kw: object) -> RawEntry:
    """A raw-DEFLATE entry of ``data``."""
    raw = name.encode() if isinstance(name, str) else name
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = comp.compress(data) + comp.flush()
    return RawEntry(raw, payload=payload, plain=data, method=8, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Layout:
    """Archive-level fields for :func:`build_zip` (None: the true value)."""

    prefix: bytes = b""
    comment: bytes = b""
    trailing: bytes = b""
    count: int | None = None
    cd_size: int | None = None
    cd_offset: int | None = None
    disk: int = 0
    between: dict[int, bytes] = field(default_factory=dict)  # bytes written before entry i
    #: bytes between the last entry and the central directory
    before_cd: bytes = b""
    #: added to every offset the records hold (an archive meant to follow other bytes)
    offset_base: int = 0


def build_zip(entries: list[RawEntry], layout: Layout | None = None) -> bytes:
    """Serialise entries into a classic (non-ZIP64) archive, exactly as told."""
    lay = layout or Layout()
    out = bytearray(lay.prefix)
    base = len(lay.prefix)  # offsets in records are relative to the archive start
    offsets: list[int] = []
    for index, e in enumerate(entries):
        out += lay.between.get(index, b"")
        plain = e.plain if e.plain is not None else b""
        crc = e.crc if e.crc is not None else zlib.crc32(plain)
        usize = e.usize if e.usize is not None else len(plain)
        csize = e.csize if e.csize is not None else len(e.payload)
        offsets.append(len(out) - base)
        if not e.write_local:
            continue
        lname = e.local_name if e.local_name is not None else e.name
        lextra = e.local_extra if e.local_extra is not None else e.extra
        dd = e.descriptor
        out += struct.pack(
            "<4s2B4HL2L2H",
            b"PK\x03\x04",
            20,
            0,
            e.local_flags if e.local_flags is not None else e.flags,
            e.local_method if e.local_method is not None else e.method,
            e.local_time if e.local_time is not None else e.time,
            e.local_date if e.local_date is not None else e.date,
            0 if dd else (e.local_crc if e.local_crc is not None else crc),
            0 if dd else (e.local_csize if e.local_csize is not None else csize),
            0 if dd else (e.local_usize if e.local_usize is not None else usize),
            len(lname),
            len(lextra),
        )
        out += lname + lextra + e.payload
        if dd:
            sizes = struct.pack("<QQ" if e.descriptor_wide else "<LL", csize, usize)
            out += (b"PK\x07\x08" if e.descriptor_sig else b"") + struct.pack("<L", crc) + sizes
    out += lay.before_cd
    cd_start = len(out) - base
    for e, off in zip(entries, offsets, strict=True):
        plain = e.plain if e.plain is not None else b""
        out += struct.pack(
            "<4s4B4HL2L5H2L",
            b"PK\x01\x02",
            20,
            e.system,
            20,
            0,
            e.flags,
            e.method,
            e.time,
            e.date,
            e.crc if e.crc is not None else zlib.crc32(plain),
            e.csize if e.csize is not None else len(e.payload),
            e.usize if e.usize is not None else len(plain),
            len(e.name),
            len(e.extra),
            len(e.comment),
            e.disk,
            0,
            e.external_attr,
            e.offset if e.offset is not None else off + lay.offset_base,
        )
        out += e.name + e.extra + e.comment
    cd_size = len(out) - base - cd_start
    count = lay.count if lay.count is not None else len(entries)
    out += struct.pack(
        "<4s4H2LH",
        b"PK\x05\x06",
        lay.disk,
        lay.disk,
        count & 0xFFFF,
        count & 0xFFFF,
        lay.cd_size if lay.cd_size is not None else cd_size,
        lay.cd_offset if lay.cd_offset is not None else cd_start + lay.offset_base,
        len(lay.comment),
    )
    out += lay.comment + lay.trailing
    return bytes(out)


def _zipfile_bytes(fill: Callable[[zipfile.ZipFile], None]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        fill(zf)
    return buf.getvalue()


def _info(name: str, method: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, FIXED_DATE_TIME)
    info.compress_type = method
    info.external_attr = REGULAR
    return info


# --------------------------------------------------------------------- ordinary
def ordinary_zip(seed: int, members: int = 12, *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A plausible project archive: directories, text and binary files, mixed sizes."""
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"zip", b"scan", b"tree", b"\n"]

    def fill(zf: zipfile.ZipFile) -> None:
        zf.writestr(_info("project/", zipfile.ZIP_STORED), b"")
        for i in range(members):
            kind = rng.choice(["txt", "py", "bin", "json", "md"])
            if kind == "bin":
                body = rng.randbytes(rng.randint(0, 4096))
            else:
                body = b" ".join(rng.choice(words) for _ in range(rng.randint(0, 800)))
            zf.writestr(_info(f"project/sub{i % 3}/file{i:03d}.{kind}", method), body)

    return _zipfile_bytes(fill)


def many_members_zip(count: int, *, seed: int = 0) -> bytes:
    """``count`` small stored members, hand-packed (fast even for 100k+): the listing
    benchmark's input. Names spread over 100 directories like a real source tree."""
    rng = random.Random(seed)
    entries = [
        stored(
            f"dir{i % 100:02d}/file{i:06d}.{rng.choice(('c', 'h', 'py', 'txt'))}", b"x" * (i % 7)
        )
        for i in range(count)
    ]
    if count <= 0xFFFF:
        return build_zip(entries)

    # More members than a classic end record holds: let zipfile write the ZIP64 records.
    def fill(zf: zipfile.ZipFile) -> None:
        for e in entries:
            zf.writestr(_info(e.name.decode(), zipfile.ZIP_STORED), e.payload)

    return _zipfile_bytes(fill)


def nested_zip(depth: int, *, seed: int = 0) -> bytes:
    """An archive holding an archive holding ... ``depth`` levels (1 = no nesting)."""
    data = ordinary_zip(seed, 3)
    for level in range(1, depth):
        inner = data
        data = _zipfile_bytes(lambda zf, inner=inner, level=level: zf.writestr(  # type: ignore[misc]
            _info(f"level{level}.zip"), inner))  # fmt: skip
    return data


def recursive_bomb(levels: int = 4, fanout: int = 16, kernel: int = 1 << 20) -> bytes:
    """A 42.zip-style tree: each level holds ``fanout`` copies of the level below; the
    leaves are ``kernel`` zero bytes. Tiny on disk, ``fanout**levels * kernel`` unpacked."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = comp.compress(bytes(kernel)) + comp.flush()
    leaf = RawEntry(b"0.bin", payload=zeros, method=8, usize=kernel, crc=zlib.crc32(bytes(kernel)))
    data = build_zip([replace(leaf, name=f"{i:x}.bin".encode()) for i in range(fanout)])
    for level in range(1, levels):
        data = build_zip([deflated(f"lib{level}-{i:x}.zip", data) for i in range(fanout)])
    return data


# ----------------------------------------------------------------------- hostile
def fifield_overlap_bomb(files: int = 8, kernel_size: int = 64 * 1024) -> bytes:
    """David Fifield's overlapping zip bomb, small: every entry's DEFLATE data starts with
    a non-final stored block quoting the next entry's local header, so all entries share
    one compressed kernel. Every member decompresses correctly (CRCs match)."""
    names = [f"{i:04d}".encode() for i in range(files)]
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel_plain = b"\x00" * kernel_size
    kernel = comp.compress(kernel_plain) + comp.flush()
    header_len = 30 + len(names[0])
    quote = struct.pack("<BHH", 0x00, header_len, header_len ^ 0xFFFF)  # stored, not final

    # Data of entry i (from the back): quote + header(i+1) + data(i+1); last: kernel.
    plains: list[bytes] = [b""] * files
    datas: list[bytes] = [b""] * files
    plains[-1], datas[-1] = kernel_plain, kernel
    headers: list[bytes] = [b""] * files
    for i in range(files - 1, -1, -1):
        if i < files - 1:
            datas[i] = quote + headers[i + 1] + datas[i + 1]
            plains[i] = headers[i + 1] + plains[i + 1]
        headers[i] = struct.pack(
            "<4s2B4HL2L2H",
            b"PK\x03\x04",
            20,
            0,
            0,
            8,
            DOS_TIME,
            DOS_DATE,
            zlib.crc32(plains[i]),
            len(datas[i]),
            len(plains[i]),
            len(names[i]),
            0,
        )
        headers[i] += names[i]
    body = headers[0] + datas[0]  # contains every other header and the kernel
    offsets = [0]
    for i in range(1, files):
        offsets.append(offsets[-1] + len(headers[i - 1]) + len(quote))
    entries = [
        RawEntry(
            names[i],
            payload=b"",
            method=8,
            plain=None,
            crc=zlib.crc32(plains[i]),
            usize=len(plains[i]),
            csize=len(datas[i]),
            offset=offsets[i],
            write_local=False,
        )
        for i in range(files)
    ]
    lay = Layout(between={0: body})
    return build_zip(entries, lay)


def with_zip64_end(
    data: bytes, *, classic_count: int | None = None, sentinels: bool = False, gap: bytes = b""
) -> bytes:
    """Insert a ZIP64 end record and its locator before the classic end record of a
    :func:`build_zip` archive (no prefix). ``classic_count``: what the classic record then
    declares; ``sentinels``: every classic field 0xFFFF/0xFFFFFFFF, disks included, as 3MF
    writers do (libzip's ``zip64-3mf.zip``); ``gap``: bytes between the ZIP64 record and
    its locator (libzip: "EOCD64 overlaps EOCD, or there is space between them")."""
    eocd = data.rfind(b"PK\x05\x06")
    (_s, _d, _cd, _n, count, cd_size, cd_off, _c) = struct.unpack_from("<4s4H2LH", data, eocd)
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, cd_size, cd_off
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd, 1)
    classic = bytearray(data[eocd:])
    if sentinels:
        struct.pack_into("<4H2L", classic, 4, *([0xFFFF] * 4), 0xFFFFFFFF, 0xFFFFFFFF)
    elif classic_count is not None:
        struct.pack_into("<HH", classic, 8, classic_count, classic_count)
    return data[:eocd] + record + gap + locator + bytes(classic)


def extra_field(header_id: int, body: bytes) -> bytes:
    """One extra field: id, length, body (APPNOTE 4.5.1)."""
    return struct.pack("<HH", header_id, len(body)) + body


def virtual_entry(size: int) -> bytes:
    """Android zipflinger's padding "virtual entry" of ``size`` bytes (>= 34): a local
    header with no name and no data whose extra field, behind the 0xD935 alignment id, is
    zeros (``LocalFileHeader.fillVirtualEntry``); no central record refers to it."""
    extra = size - 30
    head = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, extra)
    return head + struct.pack("<HH", 0xD935, extra - 4) + bytes(extra - 4)


def lzma_literals(data: bytes) -> bytes:
    """A raw LZMA1 stream (lc=3, lp=0, pb=2) of ``data`` coded as literals only and
    *without* an end-of-stream marker: what zip writers emit with flag bit 1 clear (the
    decoder must stop at the declared size). liblzma always writes the marker, so the
    range coder is written out here (LZMA SDK ``LzmaEnc.c``: ``RangeEnc_EncodeBit``,
    ``RangeEnc_ShiftLow``, the literal coder for state < 7)."""
    probs: dict[tuple[int, int], int] = {}
    out = bytearray()
    low, rng, cache, pending = 0, 0xFFFFFFFF, 0, 1

    def shift_low() -> None:
        nonlocal low, cache, pending
        if low < 0xFF000000 or low >= 1 << 32:
            carry, byte = low >> 32, cache
            while pending:
                out.append((byte + carry) & 0xFF)
                byte, pending = 0xFF, pending - 1
            cache = (low >> 24) & 0xFF
        pending += 1
        low = (low & 0x00FFFFFF) << 8

    def bit(key: tuple[int, int], value: int) -> None:
        nonlocal low, rng
        prob = probs.get(key, 1024)
        bound = (rng >> 11) * prob
        if value:
            low, rng, probs[key] = low + bound, rng - bound, prob - (prob >> 5)
        else:
            rng, probs[key] = bound, prob + ((2048 - prob) >> 5)
        while rng < 1 << 24:
            rng = (rng << 8) & 0xFFFFFFFF
            shift_low()

    previous = 0
    for pos, byte in enumerate(data):
        bit((-1, pos & 3), 0)  # is-match[state 0][pos_state]: a literal
        context, symbol = (previous >> 5) << 8, 1  # lc=3: the previous byte's top bits
        for i in range(7, -1, -1):
            value = (byte >> i) & 1
            bit((context, symbol), value)
            symbol = (symbol << 1) | value
        previous = byte
    for _ in range(5):
        shift_low()
    return bytes(out)


def lzma_entry(name: str, data: bytes, *, eos: bool) -> RawEntry:
    """A method-14 (LZMA) entry: the zip LZMA header (SDK version 9.20, 5 property bytes:
    lc=3 lp=0 pb=2, 4 KiB dictionary), then the stream; ``eos`` sets flag bit 1 and ends
    the stream with a marker (liblzma), else literals with no marker."""
    import lzma

    header = struct.pack("<BBHBL", 9, 20, 5, 3 + 9 * (0 + 5 * 2), 4096)
    if eos:
        lzma1 = {"id": lzma.FILTER_LZMA1, "dict_size": 4096, "lc": 3, "lp": 0, "pb": 2}
        stream = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[lzma1])
    else:
        stream = lzma_literals(data)
    return RawEntry(
        name.encode(), payload=header + stream, plain=data, method=14, flags=0x02 if eos else 0
    )


@dataclass(frozen=True)
class Case:
    """A hostile (or tricky but harmless) archive and the finding codes it must raise.

    ``expect`` must all be found; ``config`` is the configuration to inspect it with
    (lowered limits keep the corpus small).
    """

    build: Callable[[], bytes]
    expect: frozenset[str]
    config: ZipConfig = field(default_factory=ZipConfig)
    note: str = ""


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def _mode(mode: int) -> int:
    return mode << 16


def _cases() -> dict[str, Case]:
    text = b"hello world\n" * 20
    ok = deflated("ok.txt", text)
    verify = ZipConfig(verify=True)
    cases: dict[str, Case] = {
        "fifield-overlap": Case(fifield_overlap_bomb, _codes("overlapping-entries")),
        "same-offset-overlap": Case(
            lambda: build_zip([ok, replace(ok, name=b"again.txt", offset=0, write_local=False)]),
            _codes("overlapping-entries", "local-mismatch"),
        ),
        "path-traversal": Case(
            lambda: build_zip([stored("../../etc/cron.d/x", b"x")]), _codes("path-traversal")
        ),
        "absolute-path": Case(
            lambda: build_zip([stored("/etc/passwd", b"x")]), _codes("absolute-path")
        ),
        "drive-letter": Case(
            lambda: build_zip([stored("C:/Windows/x.dll", b"x")]), _codes("drive-letter")
        ),
        "unc-path": Case(
            lambda: build_zip([stored("\\\\srv\\share\\x", b"x")]),
            _codes("unc-path", "backslash-in-name"),
        ),
        "backslash": Case(
            lambda: build_zip([stored("a\\b.txt", b"x")]), _codes("backslash-in-name")
        ),
        "nul-in-name": Case(
            lambda: build_zip([stored(b"safe.txt\x00../../evil", b"x")]),
            _codes("nul-in-name", "path-traversal"),
        ),
        "control-char": Case(
            lambda: build_zip([stored("bad\x1b[31m.txt", b"x")]), _codes("control-char-in-name")
        ),
        "symlink-escape": Case(
            lambda: build_zip(
                [stored("link", b"../../../etc/passwd", external_attr=_mode(0o120777))]
            ),
            _codes("symlink", "symlink-escape"),
        ),
        "symlink-inside": Case(
            lambda: build_zip([stored("dir/link", b"../sibling", external_attr=_mode(0o120777))]),
            _codes("symlink"),
        ),
        "setuid": Case(
            lambda: build_zip([stored("tool", b"#!/bin/sh\n", external_attr=_mode(0o104755))]),
            _codes("setuid"),
        ),
        "fifo": Case(
            lambda: build_zip([stored("pipe", b"", external_attr=_mode(0o010644))]),
            _codes("special-file"),
        ),
        "duplicate-name": Case(
            lambda: build_zip([stored("a.txt", b"1"), stored("a.txt", b"2")]),
            _codes("duplicate-name"),
        ),
        "duplicate-name-case": Case(
            lambda: build_zip([stored("README", b"1"), stored("readme", b"2")]),
            _codes("duplicate-name-case"),
        ),
        "local-name-mismatch": Case(
            lambda: build_zip([replace(ok, local_name=b"evil.exe")]), _codes("local-mismatch")
        ),
        "local-crc-mismatch": Case(
            lambda: build_zip([replace(ok, local_crc=1234)]), _codes("local-mismatch")
        ),
        "local-size-mismatch": Case(
            lambda: build_zip([replace(ok, local_usize=5)]), _codes("local-mismatch")
        ),
        "local-method-mismatch": Case(
            lambda: build_zip([replace(ok, local_method=0)]), _codes("local-mismatch")
        ),
        "local-flags-mismatch": Case(
            lambda: build_zip([replace(ok, local_flags=0x0800)]), _codes("local-mismatch")
        ),
        "orphan-local": Case(
            lambda: build_zip(
                [ok, stored("visible.txt", b"v")],
                Layout(between={1: build_zip([stored("hidden.exe", b"MZ")])[: 30 + 10 + 2]}),
            ),
            _codes("orphan-local-header"),
        ),
        "bad-local-offset": Case(
            lambda: build_zip([replace(ok, offset=5)]), _codes("bad-local-header")
        ),
        "offset-past-end": Case(
            lambda: build_zip([replace(ok, offset=10**6)]), _codes("bad-local-header")
        ),
        "cd-count-mismatch": Case(
            lambda: build_zip([ok], Layout(count=3)), _codes("cd-count-mismatch", "cd-too-small")
        ),
        "cd-out-of-bounds": Case(
            lambda: build_zip([ok], Layout(cd_size=10**6)), _codes("cd-out-of-bounds")
        ),
        "bad-central-header": Case(
            lambda: _corrupt_second_central(build_zip([ok, stored("b", b"b")])),
            _codes("bad-central-header", "cd-count-mismatch"),
        ),
        "truncated": Case(
            lambda: build_zip([ok, stored("b.bin", bytes(5000))])[:3000], _codes("truncated")
        ),
        "comment-cut-off": Case(
            lambda: build_zip([ok], Layout(comment=b"a long archive comment" * 4))[:-30],
            _codes("truncated"),
        ),
        "trailing-data": Case(
            lambda: build_zip([ok], Layout(trailing=b"extra bytes after the end")),
            _codes("trailing-data"),
        ),
        "multiple-end-records": Case(
            lambda: build_zip([ok]) + build_zip([stored("second.txt", b"2")]),
            _codes("multiple-end-records"),
        ),
        "sfx-prefix": Case(
            lambda: build_zip([ok], Layout(prefix=b"MZ" + bytes(510))), _codes("prefix-data")
        ),
        "zipcrypto": Case(
            lambda: build_zip(
                [RawEntry(b"secret.txt", payload=bytes(40), method=8, usize=100, flags=0x1)]
            ),
            _codes("encrypted"),
        ),
        "aes": Case(
            lambda: build_zip(
                [
                    RawEntry(
                        b"aes.txt",
                        payload=bytes(60),
                        method=99,
                        usize=100,
                        flags=0x1,
                        extra=struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8),
                    )
                ]
            ),
            _codes("encrypted"),
        ),
        "strong-encryption": Case(
            lambda: build_zip(
                [RawEntry(b"s.bin", payload=bytes(40), method=8, usize=90, flags=0x41)]
            ),
            _codes("strong-encryption"),
        ),
        "non-utf8-name": Case(
            lambda: build_zip([stored(b"caf\x82.txt", b"x")]), _codes("non-utf8-flagged-name")
        ),
        "invalid-utf8-name": Case(
            lambda: build_zip([stored(b"bad\xff.txt", b"x", flags=0x800)]),
            _codes("invalid-utf8-name"),
        ),
        "impossible-ratio": Case(
            lambda: build_zip([replace(ok, usize=2 * 10**9)]), _codes("impossible-ratio")
        ),
        "declared-size-over-limit": Case(
            # 9 GiB declared through the ZIP64 extra field (past the 8 GiB default)
            lambda: build_zip(
                [
                    replace(
                        ok,
                        usize=0xFFFFFFFF,
                        extra=extra_field(0x0001, struct.pack("<Q", 9 << 30)),
                        local_usize=0xFFFFFFFF,
                    )
                ]
            ),
            _codes("total-size-over-limit"),
        ),
        "stored-size-lie": Case(
            lambda: build_zip([stored("s.txt", b"abc", usize=100)]), _codes("stored-size-mismatch")
        ),
        "high-ratio": Case(
            _high_ratio_zip, _codes("high-ratio")
        ),
        "member-count": Case(
            lambda: ordinary_zip(1, 12), _codes("member-count-over-limit"), ZipConfig(max_members=5)
        ),
        "members-not-read": Case(
            lambda: ordinary_zip(1, 12),
            _codes("members-not-read"),
            ZipConfig(member_hard_limit=5),
        ),
        "zip64-mismatch": Case(
            lambda: with_zip64_end(build_zip([ok, stored("b", b"b")]), classic_count=7),
            _codes("zip64-mismatch"),
        ),
        "zip64-extra-missing": Case(
            lambda: build_zip([replace(ok, csize=0xFFFFFFFF, local_csize=len(ok.payload))]),
            _codes("zip64-extra-missing"),
        ),
        "multi-disk": Case(lambda: build_zip([ok], Layout(disk=1)), _codes("multi-disk")),
        "nested-deep": Case(lambda: nested_zip(6), _codes("nested-too-deep")),
        "nested-hard-limit": Case(
            lambda: nested_zip(4), _codes("nested-limit"), ZipConfig(nested_hard_limit=2)
        ),
        "recursive-bomb": Case(
            lambda: recursive_bomb(levels=3, fanout=8),
            _codes("total-size-over-limit", "high-ratio"),
            ZipConfig(max_total_uncompressed=100 << 20, ratio_min_size=100 << 10),
        ),
        "nested-archive-count": Case(
            lambda: recursive_bomb(levels=3, fanout=4, kernel=1000),
            _codes("nested-budget-exceeded"),
            ZipConfig(max_nested_archives=5),
        ),
        "nested-budget": Case(
            lambda: nested_zip(3),
            _codes("nested-budget-exceeded"),
            ZipConfig(nested_byte_budget=10),
        ),
        "not-a-zip": Case(lambda: random.Random(5).randbytes(3000), _codes("not-a-zip")),
        "empty-file": Case(lambda: b"", _codes("empty-file")),
        "crc-lie": Case(
            lambda: build_zip([replace(ok, crc=0xDEADBEEF)]), _codes("crc-mismatch"), verify
        ),
        "size-lie-short": Case(
            lambda: build_zip([replace(ok, usize=len(text) - 10)]), _codes("size-mismatch"), verify
        ),
        "size-lie-long": Case(
            lambda: build_zip([replace(ok, usize=len(text) + 10)]), _codes("size-mismatch"), verify
        ),
        "corrupt-deflate": Case(
            lambda: build_zip(
                [RawEntry(b"x.txt", payload=b"\xff" * 50, plain=b"q" * 80, method=8)]
            ),
            _codes("corrupt-data"),
            verify,
        ),
        "unsupported-method": Case(
            lambda: build_zip([RawEntry(b"z.zst", payload=b"abc", plain=b"abc", method=93)]),
            _codes("unsupported-method"),
            verify,
        ),
        # issue 13's misses: each was a file other tools read differently or refuse
        "hidden-end-record": Case(hidden_end_record, _codes("multiple-end-records", "truncated")),
        "local-extra-overrun": Case(
            # unzip -t: "EF block length (40 bytes) exceeds remaining EF data (5 bytes)"
            lambda: build_zip([replace(ok, local_extra=struct.pack("<HH", 0x5455, 40) + b"\1ab")]),
            _codes("bad-extra-field"),
        ),
        "local-unicode-path": Case(
            lambda: build_zip([replace(ok, local_extra=unicode_path("evil.txt", b"ok.txt"))]),
            _codes("local-mismatch"),
        ),
        "local-unicode-path-twice": Case(
            lambda: build_zip(
                [
                    replace(
                        ok,
                        local_extra=unicode_path("ok.txt", b"ok.txt")
                        + unicode_path("evil.txt", b"ok.txt"),
                    )
                ]
            ),
            _codes("bad-extra-field", "local-mismatch"),
        ),
        "local-time-mismatch": Case(
            lambda: build_zip([replace(ok, local_date=DOS_DATE + 1)]), _codes("local-time-mismatch")
        ),
        "zip64-record-gap": Case(
            lambda: with_zip64_end(build_zip([ok]), gap=bytes(8)), _codes("zip64-record-gap")
        ),
        "unknown-method": Case(
            lambda: build_zip([RawEntry(b"m.bin", payload=b"abc", plain=b"abc", method=65226)]),
            _codes("unknown-method"),
        ),
        "data-after-stream": Case(
            lambda: build_zip([replace(ok, payload=ok.payload + b"HIDDEN PAYLOAD")]),
            _codes("data-after-stream"),
            verify,
        ),
        "padding-entry": Case(
            lambda: build_zip([ok, stored("b.txt", b"b")], Layout(between={1: virtual_entry(200)})),
            _codes("padding-entry"),
            note="benign: Android zipflinger's virtual entries, an info note only",
        ),
    }
    return cases


@functools.cache
def _high_ratio_zip() -> bytes:
    """One member of 17 MiB of zeros sprinkled with other bytes, which deflates ~740:1:
    past the default high-ratio threshold (ratio 100 for members over 16 MiB) and below
    DEFLATE's ceiling (~1032:1). Cached: compressing it takes ~0.25 s."""
    block = b"\x00" * 4000 + random.Random(17).randbytes(24)
    size = 17 << 20
    return build_zip([deflated("zeros.bin", (block * (size // len(block) + 1))[:size])])


def unicode_path(name: str, raw: bytes) -> bytes:
    """An Info-ZIP Unicode Path extra field (0x7075) naming ``name`` for the raw name
    ``raw`` (version 1, the CRC-32 of ``raw``)."""
    return extra_field(0x7075, b"\x01" + struct.pack("<L", zlib.crc32(raw)) + name.encode())


def hidden_end_record() -> bytes:
    """Go issue 66869: archive A, whose end-record comment runs to the end of the file and
    so covers archive B; B's end record declares a comment longer than what is left. A
    reader that skips a record whose comment is cut short (Go before the fix) sees A;
    unzip and zipfile take the last signature and see B."""
    first = build_zip([stored("a.txt", b"A")])
    second = bytearray(build_zip([stored("b.txt", b"B")], Layout(offset_base=len(first))))
    struct.pack_into("<H", second, len(second) - 2, 100)  # a comment longer than the file
    head = bytearray(first)
    struct.pack_into("<H", head, len(head) - 2, len(second))
    return bytes(head + second)


def _corrupt_second_central(data: bytes) -> bytes:
    first = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", first + 4)
    return data[:second] + b"XX" + data[second + 2 :]


#: name -> Case: every check of the audit has at least one case here.
HOSTILE_CASES: dict[str, Case] = _cases()


# ------------------------------------------------------------------------- disk
def write_corpus(
    root: Path, *, seed: int = 0, ordinary: int = 20, hostile: bool = True
) -> dict[Path, frozenset[str]]:
    """Write ``ordinary`` plain archives and (optionally) every hostile case under
    ``root``; returns path -> expected finding codes (empty for ordinary ones)."""
    root.mkdir(parents=True, exist_ok=True)
    out: dict[Path, frozenset[str]] = {}
    for i in range(ordinary):
        sub = root / f"d{i % 10:02d}"
        sub.mkdir(exist_ok=True)
        path = sub / f"archive{i:05d}.zip"
        path.write_bytes(ordinary_zip(seed * 1_000_003 + i, 4 + i % 20))
        out[path] = frozenset()
    if hostile:
        hdir = root / "hostile"
        hdir.mkdir(exist_ok=True)
        for name, case in HOSTILE_CASES.items():
            path = hdir / f"{name}.zip"
            path.write_bytes(case.build())
            out[path] = case.expect
    return out


def write_bzip2_member(path: Path, size: int, *, chunk: int = 1 << 20) -> None:
    """An archive with one bzip2 member of ``size`` zero bytes, streamed (the archive is
    tiny; decompressing it is the memory test for ``--verify``)."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as zf,
        zf.open(_info("zeros.bin", zipfile.ZIP_BZIP2), "w", force_zip64=size > 0xFFFFFFFF) as fh,
    ):
        block = bytes(chunk)
        left = size
        while left > 0:
            n = min(left, chunk)
            fh.write(block[:n])
            left -= n


__all__ = [
    "HOSTILE_CASES",
    "Case",
    "Layout",
    "RawEntry",
    "build_zip",
    "deflated",
    "extra_field",
    "fifield_overlap_bomb",
    "hidden_end_record",
    "lzma_entry",
    "lzma_literals",
    "many_members_zip",
    "nested_zip",
    "ordinary_zip",
    "recursive_bomb",
    "stored",
    "unicode_path",
    "virtual_entry",
    "with_zip64_end",
    "write_bzip2_member",
    "write_corpus",
]
