"""Coverage-guided fuzzing of the zip readers with atheris (issue 6: "no crash, bounded
memory and time per archive").

Run (atheris is the optional ``fuzz`` extra; the fuzzer is CPU work, so ``nice`` it)::

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python benchmarks/fuzz_zip.py --seed-corpus /tmp/zip-fuzz
    nice -n 10 .venv/bin/python benchmarks/fuzz_zip.py -max_total_time=600 /tmp/zip-fuzz

``--replay PATH...`` runs the checks over saved inputs (files or directories) without
atheris: a crash file, or a corpus under ``coverage run`` to see what it reaches. Every other
argument goes to libFuzzer (``-runs=N``, ``-jobs=N``, a crash file to replay
...); ``-rss_limit_mb=512`` and ``-timeout=10`` are the defaults, because memory and time per
archive are part of the claim. Per input, :func:`check_one`:

- inspects the bytes in memory with ``ZipConfig(verify=True, keep_members=True)`` and with
  the default configuration: never raises, returns a report without ``error`` that the JSON
  renderer and the terminal listings encode, and ``sniff_zip`` on the tail never raises;
- checks the fast paths differentially: ``read_plain_names`` and ``read_plain_listing``
  either decline (None) or print exactly what the full reader prints for an archive in
  which it finds nothing (``scanner zip --names`` / ``--list``). A mismatch raises
  :class:`Mismatch`, which libFuzzer reports as a crash with the input saved.

``scanner.archives`` is imported under ``atheris.instrument_imports()`` (this module imports
it lazily for that reason), so libFuzzer is guided by coverage of our reader only.
:func:`check_one` needs no atheris: ``tests/test_fuzz_harness.py`` runs it over the seed
corpus in CI.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import pkgutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scanner.archives.config import ZipConfig
    from scanner.archives.model import ArchiveReport

#: The archive's name in reports and listing heads (both paths print it).
FUZZ_PATH = "fuzz.zip"
#: libFuzzer options that hold unless the command line says otherwise (later flags win).
DEFAULT_FLAGS = ("-rss_limit_mb=512", "-timeout=10")
#: Real archives larger than this are left out of the seed corpus: libFuzzer's default
#: ``-max_len`` is the largest seed, and every execution pays for the input's size.
REAL_SEED_MAX = 96 * 1024
#: Where real archives are looked for (pattern, root), and how many of each are taken.
REAL_SEED_PLACES = (("*.whl", Path("/root/.pyenv")), ("*.jar", Path("/root/.m2")))
REAL_SEEDS_EACH = 2
#: Hostile cases left out of the seed corpus: the 42.zip-style tree decompresses 64 MiB
#: per execution (1-2 s, against a median of 0.2 ms), and its mutants took most of a first
#: 10-minute campaign (36 executions/s). ``nested-archive-count`` (the same tree with 1 KB
#: leaves) stays, and tests/test_zip_properties.py bounds the full-size bomb.
SLOW_CASES = frozenset({"recursive-bomb"})
#: libFuzzer dictionary: the record signatures, the extra-field ids the readers decode, the
#: ZIP64 sentinel and names the audit and the nested search look for. Mutations splice
#: these in whole instead of finding them a byte at a time.
ZIP_TOKENS = (
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x06\x06",
    b"PK\x06\x07",
    b"PK\x07\x08",
    b"\x01\x00",  # ZIP64 extra
    b"up",  # 0x7075 Unicode path
    b"UT",  # 0x5455 extended timestamp
    b"ux",  # 0x7875 Info-ZIP unix ids
    b"\x01\x99",  # 0x9901 AES
    b"\xff\xff\xff\xff",
    b"\xff\xff",
    b"\x00\x08",  # flag bit 11: UTF-8 names
    b"\xa4\x81",  # 0o100644 << 16 (a regular file's external attributes, high half)
    b"\xff\xa1",  # 0o120777 << 16 (a symlink)
    b".zip",
    b".jar",
    b"../",
    b"/",
    b"\\",
    b"C:",
)


class Mismatch(AssertionError):
    """A fast path printed something other than the full reader would."""


def _configs() -> tuple[ZipConfig, ZipConfig, ZipConfig, ZipConfig]:
    """Audit (verify, members), default, ``--names`` and ``--list`` configurations."""
    from dataclasses import replace

    from scanner.archives.config import ZipConfig

    plain = ZipConfig()
    return (
        ZipConfig(verify=True, keep_members=True),
        plain,
        replace(plain, keep_members=True, audit=False, recurse=False),
        replace(plain, keep_members=True, audit=False),
    )


def _finding_count(report: ArchiveReport) -> int:
    """Findings of a report and its nested ones; a nested report counts as one more (the
    fast listing never answers for an archive holding archives)."""
    return len(report.findings) + sum(_finding_count(n) + 1 for n in report.nested)


def _shown(data: bytes) -> str:
    return repr(data[:300]) + (f" ... ({len(data)} bytes)" if len(data) > 300 else "")


def check_one(data: bytes) -> None:
    """Run every check on one input; raise on a crash, a bad report or a mismatch."""
    from scanner.archives.model import ArchiveReport
    from scanner.archives.views import listing_text, names_text
    from scanner.archives.zip.inspect import inspect_bytes, sniff_zip
    from scanner.archives.zip.plain import read_plain_listing, read_plain_names
    from scanner.output.formats import dumps
    from scanner.output.sanitize import display_name

    audit_cfg, default_cfg, names_cfg, list_cfg = _configs()
    for cfg in (audit_cfg, default_cfg):
        report = inspect_bytes(data, FUZZ_PATH, cfg)
        if not isinstance(report, ArchiveReport) or report.error is not None:
            raise AssertionError(f"no usable report: {report!r}")
        dumps(report.as_dict()).encode()  # what --json / --jsonl write
        if report.members is not None:  # what --list / --names print on a terminal
            listing_text(report, display_name).encode()
            names_text(report, display_name, "\n", with_archive=True).encode()
    sniff_zip(data[-(64 * 1024 + 22) :], len(data))
    names = read_plain_names(data, len(data), b"\n")
    listing = read_plain_listing(data, len(data))
    _check_file_view(data, names, listing)
    if names is not None:
        _check_names(data, names, names_cfg)
    if listing is not None:
        _check_listing(data, listing, list_cfg)


def _check_file_view(
    data: bytes, names: tuple[bytes, int] | None, listing: tuple[bytes, int, int] | None
) -> None:
    """``scanner zip --names/--list`` reads the file through a FileView (``pread`` in
    64 KiB blocks), not bytes: it must answer the same."""
    from scanner.archives.source import FileView
    from scanner.archives.zip.plain import read_plain_listing, read_plain_names

    with _file_holding(data) as fd:
        size = len(data)
        got = (
            read_plain_names(FileView(fd, size), size, b"\n"),
            read_plain_listing(FileView(fd, size), size),
        )
    if got != (names, listing):
        raise Mismatch(
            f"through a FileView: {got!r:.600} but from bytes: {(names, listing)!r:.600}"
        )


@contextlib.contextmanager
def _file_holding(data: bytes) -> Iterator[int]:
    """A descriptor of an unnamed file holding ``data`` (in memory where Linux allows)."""
    with contextlib.ExitStack() as stack:
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("fuzz.zip")
            stack.callback(os.close, fd)
        else:
            fd = stack.enter_context(tempfile.TemporaryFile()).fileno()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        yield fd


def _check_names(data: bytes, fast: tuple[bytes, int], cfg: ZipConfig) -> None:
    from scanner.archives.zip.inspect import inspect_bytes

    report = inspect_bytes(data, FUZZ_PATH, cfg)
    members = report.members or []
    full = ("".join(m.name + "\n" for m in members).encode(), len(members))
    if fast != full or _finding_count(report):
        raise Mismatch(
            f"read_plain_names: {_shown(fast[0])} ({fast[1]} members) but the full reader: "
            f"{_shown(full[0])} ({full[1]}), findings {[f.code for f in report.findings]}"
        )


def _check_listing(data: bytes, found: tuple[bytes, int, int], cfg: ZipConfig) -> None:
    from scanner.archives.views import listing_text
    from scanner.archives.zip.inspect import inspect_bytes
    from scanner.archives.zip.plain import listing_foot, listing_head

    lines, count, total = found
    fast = listing_head(FUZZ_PATH).encode() + lines + listing_foot(total, count).encode()
    report = inspect_bytes(data, FUZZ_PATH, cfg)
    full = listing_text(report, str).encode()
    if fast != full or _finding_count(report):
        raise Mismatch(
            f"read_plain_listing: {_shown(fast)} but the full reader: {_shown(full)}, "
            f"findings {[f.code for f in report.findings]}"
        )


# --------------------------------------------------------------------------- seeds
def real_archives(
    places: tuple[tuple[str, Path], ...] = REAL_SEED_PLACES, each: int = REAL_SEEDS_EACH
) -> dict[str, bytes]:
    """The largest distinct archives under ``REAL_SEED_MAX`` found in each place (wheels of
    the pyenv test suites, jars of the Maven cache), ``each`` per place; none if absent."""
    out: dict[str, bytes] = {}
    for pattern, root in places:
        if not root.is_dir():
            continue
        sized = sorted(
            ((p.stat().st_size, str(p)) for p in root.rglob(pattern) if p.is_file()),
            reverse=True,
        )
        seen: set[str] = set()
        for size, path in sized:
            if size > REAL_SEED_MAX:
                continue
            data = Path(path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            out[f"real-{Path(path).name}"] = data
            if len(seen) == each:
                break
    return out


def extra_field_seeds() -> dict[str, bytes]:
    """Archives whose central records carry the extra fields the reader decodes: ZIP64
    (0x0001, one to three 8-byte values), Info-ZIP timestamps and ids (0x5455, 0x7875),
    Unicode paths (0x7075, current and stale). None of the other seeds has them, and a
    mutation cannot grow a field into a record (three lengths must agree): a first
    campaign never reached that code."""
    import struct
    import zlib

    from scanner.labs.archives import build_zip, deflated, stored

    def field(header_id: int, body: bytes) -> bytes:
        return struct.pack("<HH", header_id, len(body)) + body

    def u64(*values: int) -> bytes:
        return b"".join(v.to_bytes(8, "little") for v in values)

    sentinel = 0xFFFFFFFF
    stamp = field(0x5455, b"\x03" + struct.pack("<ll", 1718454600, 1718454600))
    ids = field(0x7875, b"\x01\x04\xe8\x03\x00\x00\x04\xe8\x03\x00\x00")
    raw = b"caf?.txt"
    unicode = field(0x7075, b"\x01" + struct.pack("<L", zlib.crc32(raw)) + "café.txt".encode())
    stale = field(0x7075, b"\x01" + struct.pack("<L", 1) + b"other.txt")
    return {
        "extra-zip64-usize.zip": build_zip(
            [stored("z", b"z", extra=field(1, u64(1)), usize=sentinel)]
        ),
        "extra-zip64-all.zip": build_zip(
            [
                deflated("big.txt", b"text " * 50),
                # all three sentinels, the values in the field (47: the local header's offset)
                stored(
                    "all",
                    b"a",
                    extra=field(1, u64(1, 1, 47)),
                    usize=sentinel,
                    csize=sentinel,
                    offset=sentinel,
                ),
            ]
        ),
        "extra-infozip.zip": build_zip(
            [stored("a.txt", b"hi", extra=stamp + ids), deflated("b/c.py", b"x = 1\n" * 9)]
        ),
        "extra-unicode-path.zip": build_zip(
            [stored(raw, b"x", extra=unicode), stored("old.txt", b"y", extra=stale)]
        ),
    }


def seed_corpus(*, real: bool = True) -> dict[str, bytes]:
    """File name -> bytes: the lab's ordinary archives (one per method), the hostile cases
    but ``SLOW_CASES``, 200 members, three levels of nesting, the extra-field seeds and
    (``real``) a few real archives. Each distinct input once, under the first name that
    made it (some hostile cases share their bytes and differ only in the configuration they
    are inspected with)."""
    from scanner.labs.archives import HOSTILE_CASES, many_members_zip, nested_zip, ordinary_zip

    made: list[tuple[str, bytes]] = [
        (f"ordinary-{label}.zip", ordinary_zip(1, 6, method=method))
        for label, method in (
            ("stored", zipfile.ZIP_STORED),
            ("deflated", zipfile.ZIP_DEFLATED),
            ("bzip2", zipfile.ZIP_BZIP2),
            ("lzma", zipfile.ZIP_LZMA),
        )
    ]
    made += [
        (f"hostile-{name}.zip", case.build())
        for name, case in sorted(HOSTILE_CASES.items())
        if name not in SLOW_CASES
    ]
    made += [("many-members-200.zip", many_members_zip(200)), ("nested-3.zip", nested_zip(3))]
    made += extra_field_seeds().items()
    if real:
        made += real_archives().items()
    seeds: dict[str, bytes] = {}
    for name, data in made:
        if data not in seeds.values():
            seeds[name] = data
    return seeds


def write_seed_corpus(directory: Path) -> int:
    """Write :func:`seed_corpus` into ``directory`` (created); returns the file count."""
    directory.mkdir(parents=True, exist_ok=True)
    seeds = seed_corpus()
    for name, data in seeds.items():
        (directory / name).write_bytes(data)
    return len(seeds)


def write_dictionary(directory: Path) -> Path:
    """Write ``ZIP_TOKENS`` as a libFuzzer dictionary file; returns its path."""
    path = directory / "scanner-fuzz-zip.dict"
    lines = ['"' + "".join(f"\\x{b:02x}" for b in token) + '"' for token in ZIP_TOKENS]
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------- fuzzing
def fuzz(argv: list[str]) -> None:
    """Hand ``argv`` (libFuzzer options and corpus directories) to atheris; never returns."""
    import atheris

    # every module of scanner.archives (and the scanner modules they import) is
    # instrumented; what check_one imports later from elsewhere is not
    with atheris.instrument_imports(include=["scanner"]):
        package = importlib.import_module("scanner.archives")
        for info in pkgutil.iter_modules(package.__path__, "scanner.archives."):
            importlib.import_module(info.name)
    flags = list(DEFAULT_FLAGS)
    if not any(arg.startswith("-dict=") for arg in argv[1:]):
        flags.append(f"-dict={write_dictionary(Path(tempfile.gettempdir()))}")
    atheris.Setup([argv[0], *flags, *argv[1:]], check_one)
    atheris.Fuzz()


def replay(paths: list[Path]) -> tuple[int, float]:
    """Run :func:`check_one` over files and the files of directories, without atheris
    (a saved crash, a corpus under ``coverage run``); returns (inputs, slowest seconds)."""
    files = sorted(f for p in paths for f in (p.iterdir() if p.is_dir() else [p]) if f.is_file())
    slowest = 0.0
    for path in files:
        start = time.perf_counter()
        try:
            check_one(path.read_bytes())
        except Exception as exc:
            raise AssertionError(f"{path}: {exc!r}") from exc
        slowest = max(slowest, time.perf_counter() - start)
    return len(files), slowest


def main(argv: list[str]) -> int:
    """``--seed-corpus DIR`` writes the seeds, ``--replay PATH...`` checks saved inputs;
    anything else fuzzes."""
    if len(argv) == 3 and argv[1] == "--seed-corpus":
        count = write_seed_corpus(Path(argv[2]))
        print(f"{count} seed archives written to {argv[2]}")
        return 0
    if len(argv) > 2 and argv[1] == "--replay":
        count, slowest = replay([Path(a) for a in argv[2:]])
        print(f"{count} inputs checked, slowest {slowest * 1000:.1f} ms")
        return 0
    if "-h" in argv[1:] or "--help" in argv[1:]:
        print(__doc__)
        return 0
    fuzz(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
