"""A deterministic, seeded tree generator for tests and benchmarks.

``generate_tree(root, TreeSpec(files=200_000, seed=1))`` builds the same tree (same paths,
same sizes) for the same spec on every machine, and returns a :class:`TreeManifest` with the
counts a correct walk must find, so tests cross-check an engine against numbers that were
not computed by walking.

Files are sparse: each is created and ``ftruncate``-d to its size, nothing is written, so a
1M-file tree with terabytes of apparent size costs inodes, not disk blocks.

Counting rules of the manifest (the walk rules of ``scanner ext``, without ``--follow``):

* ``files`` counts regular-file *names* (a hard link is a second name); ``bytes`` counts
  each regular-file inode once (hard links once, keyed on (st_dev, st_ino)).
* ``dirs`` counts directories below the root, not the root itself; a symlink to a
  directory is a symlink, not a directory.
* An extension is ``os.path.splitext(name)[1].casefold()``: ``a.JPG`` is ``.jpg``,
  ``x.tar.gz`` is ``.gz``, ``.bashrc`` has none (the key ``""``), ``.eslintrc.json`` is
  ``.json``. Hard links always share their target's extension, so per-extension bytes do not
  depend on which name a walk meets first.
* ``visible_*`` count only what a walk that skips hidden entries (a path component starting
  with ``.``) finds.

Generation is idempotent: a marker file *next to* the root (``<root>.lab-tree.json``, outside
the tree so that it is not counted; with a ``.lab-tree.lock`` that serialises concurrent
generators) records the spec's hash and the manifest. If the marker
matches, the tree is reused without touching it; if it names another spec or an unfinished
run, the tree is removed and rebuilt. A non-empty directory without a marker is refused,
never deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import random
import shutil
import time
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from scanner.errors import OperationFailed, UsageProblem

#: Bump when the generation algorithm changes, so that old trees are rebuilt, not reused.
GENERATOR_VERSION: Final = 1

#: Suffix of the marker file written next to the root.
MARKER_SUFFIX: Final = ".lab-tree.json"
#: Suffix of the lock file next to the root (held while generating or checking).
LOCK_SUFFIX: Final = ".lab-tree.lock"

GiB: Final = 1 << 30

#: File-name patterns and their weights: ``{s}`` is a stem such as ``report17`` (never
#: containing a dot). Covers the cases an extension counter must get right: mixed case,
#: compound ``.tar.gz``, no extension, dotfiles with and without an extension.
DEFAULT_NAME_MIX: Final[tuple[tuple[str, float], ...]] = (
    ("{s}.py", 12.0),
    ("{s}.txt", 7.0),
    ("{s}.TXT", 1.0),
    ("{s}.json", 7.0),
    ("{s}.jpg", 7.0),
    ("{s}.JPG", 2.0),
    ("{s}.png", 6.0),
    ("{s}.Png", 0.5),
    ("{s}.so", 3.0),
    ("{s}.c", 8.0),
    ("{s}.h", 8.0),
    ("{s}.md", 4.0),
    ("{s}.log", 5.0),
    ("{s}.gz", 2.0),
    ("{s}.tar.gz", 2.0),
    ("{s}", 7.0),
    (".{s}rc", 2.0),
    (".{s}.json", 1.0),
)

_STEMS: Final = (
    "main", "util", "data", "report", "img", "test", "config", "index", "module", "notes",
    "build", "cache", "photo", "lib", "core", "schema", "readme", "output", "part", "log",
)  # fmt: skip
_DIR_WORDS: Final = (
    "src", "lib", "data", "docs", "assets", "build", "tests", "images", "logs", "cache",
    "include", "vendor", "pkg", "tmp", "share", "bin", "conf", "media", "out", "archive",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TreeSpec:
    """What to generate. The same spec (seed included) always gives the same tree."""

    #: Regular files to create (hard links come on top of these).
    files: int = 10_000
    #: Seed of the pseudo-random generator: paths, sizes and the shape all follow from it.
    seed: int = 0
    #: Mean files per directory; the directory count is about ``files / files_per_dir``.
    files_per_dir: int = 20
    #: Mean subdirectories per directory (each directory draws 0..2*fanout).
    fanout: int = 6
    #: Deepest directory level below the root (the root's children are level 1).
    max_depth: int = 8
    #: File-name patterns and weights (see ``DEFAULT_NAME_MIX``).
    name_mix: tuple[tuple[str, float], ...] = DEFAULT_NAME_MIX
    #: Median file size in bytes; sizes are log-normal around it.
    median_size: int = 4096
    #: Spread of the log-normal (sigma of the underlying normal); 2.0 gives a long tail.
    size_sigma: float = 2.0
    #: Cap for the log-normal draw (the large files below are not capped by it).
    max_size: int = 256 << 20
    #: Fraction of files that are empty.
    empty_file_ratio: float = 0.02
    #: Files of 1..4 GiB each (sparse: no disk used).
    large_files: int = 2
    #: Directories, among the generated ones, whose name starts with a dot.
    hidden_dirs: int = 3
    #: Extra leaf directories with nothing in them.
    empty_dirs: int = 5
    #: Symlinks to files and directories (about 1 in 10 dangling).
    symlinks: int = 10
    #: Add a symlink cycle (``loop -> ..``) and a self-referential link (``self -> self``).
    symlink_loop: bool = True
    #: Extra names (hard links) for existing files, same extension as their target.
    hardlinks: int = 10
    #: Files with names that trip tools up (``ODD_NAMES``: spaces, a newline, glob and
    #: regex characters, a leading dash, non-ASCII, a bidi override, undecodable bytes),
    #: in visible directories.
    odd_names: int = 0
    #: Spread the modification times of every entry over this many days before the time
    #: of generation (seeded offsets), for time filters; 0 leaves them as created.
    mtime_spread_days: float = 0.0

    def __post_init__(self) -> None:
        ints = {
            "files": self.files,
            "files_per_dir": self.files_per_dir,
            "fanout": self.fanout,
            "max_depth": self.max_depth,
            "median_size": self.median_size,
            "max_size": self.max_size,
            "large_files": self.large_files,
            "hidden_dirs": self.hidden_dirs,
            "empty_dirs": self.empty_dirs,
            "symlinks": self.symlinks,
            "hardlinks": self.hardlinks,
        }
        for name, value in ints.items():
            if value < 0:
                raise UsageProblem(f"tree spec: {name} must be >= 0, got {value}")
        for name in ("files_per_dir", "fanout", "max_depth", "median_size"):
            if ints[name] < 1:
                raise UsageProblem(f"tree spec: {name} must be >= 1, got {ints[name]}")
        if not 0.0 <= self.empty_file_ratio <= 1.0:
            raise UsageProblem("tree spec: empty_file_ratio must be within 0..1")
        if self.size_sigma < 0:
            raise UsageProblem("tree spec: size_sigma must be >= 0")
        if not self.name_mix or any(w < 0 for _, w in self.name_mix):
            raise UsageProblem("tree spec: name_mix needs patterns with weights >= 0")
        if sum(w for _, w in self.name_mix) <= 0:
            raise UsageProblem("tree spec: name_mix weights must not all be zero")
        for pattern, _ in self.name_mix:
            name = pattern.replace("{s}", "x0")
            if "{s}" not in pattern or "/" in pattern or name in (".", ".."):
                raise UsageProblem(f"tree spec: bad name pattern {pattern!r}")
        if max(self.large_files, self.hardlinks) > self.files:
            raise UsageProblem("tree spec: large_files and hardlinks must not exceed files")
        if self.odd_names < 0 or self.mtime_spread_days < 0:
            raise UsageProblem("tree spec: odd_names and mtime_spread_days must be >= 0")

    def digest(self) -> str:
        """A stable hash of the spec and the generator version (names the tree)."""
        fields = asdict(self)
        # fields added later leave the hash of a spec that does not use them unchanged,
        # so that trees built before are reused
        for name, default in _LATER_FIELDS.items():
            if fields[name] == default:
                del fields[name]
        payload = json.dumps(
            {"generator": GENERATOR_VERSION, **fields}, sort_keys=True, default=list
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


#: Spec fields added after version 1, with the default that keeps old hashes.
_LATER_FIELDS: Final[dict[str, object]] = {"odd_names": 0, "mtime_spread_days": 0.0}

#: The names ``TreeSpec.odd_names`` draws from (bytes: one is not valid UTF-8).
ODD_NAMES: Final = (
    b"with space.txt",
    b" leading space.py",
    b"new\nline.txt",
    b"tab\there.json",
    b"-dash.c",
    b"star*.py",
    b"quest?.md",
    b"[brackets].json",
    b"back\\slash.txt",
    b"caf\xc3\xa9.txt",
    b"\xe2\x80\xaeevil.txt",
    b"raw\xff\xfe.bin",
    b"UPPER.PY",
    b"..dots.py",
    b"trailing.",
    b"paren(1).log",
    b"dollar$HOME.sh",
    b"emoji\xf0\x9f\x98\x80.png",
    b"semi;colon.txt",
    b"quote'd\".md",
)


@dataclass(frozen=True, slots=True)
class ExtCount:
    """Files and bytes of one extension (bytes count each inode once)."""

    files: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class TreeManifest:
    """What a correct walk of the generated tree finds (see the module docstring)."""

    root: str
    spec: TreeSpec
    spec_hash: str
    files: int
    dirs: int
    symlinks: int
    bytes: int
    extensions: dict[str, ExtCount]
    visible_files: int
    visible_dirs: int
    visible_bytes: int
    #: Deepest directory level reached (the root's children are level 1).
    depth: int
    #: False when an existing tree with the same spec was reused.
    generated: bool = True
    #: Seconds spent generating (0.0 when reused).
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (extensions sorted by name, ``""`` for no extension)."""
        data = asdict(self)
        data["spec"]["name_mix"] = [list(p) for p in self.spec.name_mix]
        data["extensions"] = {
            k: {"files": v.files, "bytes": v.bytes} for k, v in sorted(self.extensions.items())
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeManifest:
        """Inverse of :meth:`to_json`."""
        spec_data = dict(data["spec"])
        spec_data["name_mix"] = tuple((str(p), float(w)) for p, w in spec_data["name_mix"])
        exts = {
            k: ExtCount(int(v["files"]), int(v["bytes"])) for k, v in data["extensions"].items()
        }
        rest = {k: v for k, v in data.items() if k not in ("spec", "extensions")}
        return cls(spec=TreeSpec(**spec_data), extensions=exts, **rest)


def marker_path(root: Path) -> Path:
    """Where the marker of a tree rooted at ``root`` lives (next to it, not inside)."""
    root = Path(os.path.abspath(root))
    return root.with_name(root.name + MARKER_SUFFIX)


def generate_tree(root: str | os.PathLike[str], spec: TreeSpec) -> TreeManifest:
    """Build the tree described by ``spec`` at ``root`` (or reuse it) and return its manifest.

    ``root`` must be missing, empty, or a tree this function generated before (it is then
    reused when the spec matches and rebuilt otherwise). Raises ``UsageProblem`` for a
    non-empty directory it did not generate, ``OperationFailed`` when the file system refuses.
    """
    root_path = Path(os.path.abspath(root))
    try:
        root_path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(_lock_path(root_path), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OperationFailed(f"cannot generate tree at {root_path}: {exc}") from exc
    try:
        # Two benchmarks asking for the same tree at once: one builds, the other reuses.
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _generate_locked(root_path, spec)
    finally:
        os.close(lock)


def _generate_locked(root_path: Path, spec: TreeSpec) -> TreeManifest:
    marker = marker_path(root_path)
    digest = spec.digest()
    existing = _read_marker(marker)
    if (
        existing is not None
        and existing.get("state") == "complete"
        and existing.get("spec_hash") == digest
        and root_path.is_dir()
    ):
        manifest = TreeManifest.from_json(existing["manifest"])
        return replace(manifest, root=str(root_path), generated=False, elapsed_s=0.0)
    if existing is not None:
        # The marker proves that we made this tree: it may go.
        shutil.rmtree(root_path, ignore_errors=True)
    elif root_path.exists():
        if not root_path.is_dir():
            raise UsageProblem(f"{root_path} exists and is not a directory")
        with os.scandir(root_path) as entries:
            empty = next(entries, None) is None
        if not empty:
            raise UsageProblem(
                f"{root_path} is not empty and was not generated by scanner "
                f"(no {marker.name} next to it); choose an empty or new directory"
            )
    try:
        root_path.mkdir(exist_ok=True)
        _write_marker(marker, {"state": "incomplete", "spec_hash": digest})
        started = time.perf_counter()
        manifest = _Builder(root_path, spec).build()
        manifest = replace(manifest, elapsed_s=round(time.perf_counter() - started, 3))
        _write_marker(
            marker, {"state": "complete", "spec_hash": digest, "manifest": manifest.to_json()}
        )
    except OSError as exc:
        raise OperationFailed(f"cannot generate tree at {root_path}: {exc}") from exc
    return manifest


def _lock_path(root: Path) -> Path:
    return root.with_name(root.name + LOCK_SUFFIX)


def _read_marker(marker: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"state": "unreadable"}
    return data if isinstance(data, dict) else {"state": "unreadable"}


def _write_marker(marker: Path, data: dict[str, Any]) -> None:
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, marker)


@dataclass(slots=True)
class _Dir:
    rel: str  # path relative to the root, "" for the root
    depth: int
    hidden: bool  # this directory or an ancestor starts with a dot
    names: set[str] = field(default_factory=set)  # names taken inside it


@dataclass(slots=True)
class _Tally:
    files: int = 0
    bytes: int = 0
    visible_files: int = 0
    visible_bytes: int = 0
    ext_files: dict[str, int] = field(default_factory=dict)
    ext_bytes: dict[str, int] = field(default_factory=dict)

    def add(self, ext: str, size: int, *, visible: bool, new_inode: bool) -> None:
        self.files += 1
        self.ext_files[ext] = self.ext_files.get(ext, 0) + 1
        if new_inode:
            self.bytes += size
            self.ext_bytes[ext] = self.ext_bytes.get(ext, 0) + size
        if visible:
            self.visible_files += 1


class _Builder:
    """One generation run. The order of random draws below *is* the format: keep it."""

    def __init__(self, root: Path, spec: TreeSpec) -> None:
        self.root = root
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.dirs: list[_Dir] = []
        self.tally = _Tally()
        self.symlinks = 0
        self.files_done = False

    def build(self) -> TreeManifest:
        spec, rng = self.spec, self.rng
        self._make_dirs()
        counts = self._files_per_dir()
        large = set(rng.sample(range(spec.files), spec.large_files))
        link_targets = set(rng.sample(range(spec.files), spec.hardlinks))
        # (dir index, name, ext, size, visible) of each hard-link target, in file order.
        targets: list[tuple[int, str, str, int, bool]] = []
        patterns = [p for p, _ in spec.name_mix]
        exts = [os.path.splitext(p.replace("{s}", "x"))[1].casefold() for p in patterns]
        cum = list(_cumulative(w for _, w in spec.name_mix))
        mu = math.log(spec.median_size)
        index = 0
        for d, count in enumerate(counts):
            if not count:
                continue
            where = self.dirs[d]
            dir_fd = os.open(self.root / where.rel, os.O_RDONLY | os.O_DIRECTORY)
            try:
                choices = rng.choices(range(len(patterns)), cum_weights=cum, k=count)
                for k in choices:
                    name = self._unique(where, patterns[k])
                    if index in large:
                        size = rng.randint(1, 4) * GiB
                    elif rng.random() < spec.empty_file_ratio:
                        size = 0
                    else:
                        size = min(int(rng.lognormvariate(mu, spec.size_sigma)), spec.max_size)
                    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=dir_fd)
                    try:
                        if size:
                            os.ftruncate(fd, size)
                    finally:
                        os.close(fd)
                    visible = not where.hidden and not name.startswith(".")
                    self.tally.add(exts[k], size, visible=visible, new_inode=True)
                    if visible:
                        self.tally.visible_bytes += size
                    if index in link_targets:
                        targets.append((d, name, exts[k], size, visible))
                    index += 1
            finally:
                os.close(dir_fd)
            where.names = set()
        self.files_done = True
        for where in self.dirs:
            where.names = set()
        self._make_symlinks()
        self._make_empty_dirs()
        self._make_hardlinks(targets)
        # drawn last, so that a spec without them gives the same tree as before
        if spec.odd_names:
            self._make_odd_names()
        if spec.mtime_spread_days:
            self._spread_mtimes()
        return self._manifest()

    def _make_odd_names(self) -> None:
        spec, rng = self.spec, self.rng
        visible = [d for d in self.dirs if not d.hidden]
        mu = math.log(spec.median_size)
        for i in range(spec.odd_names):
            base = ODD_NAMES[i % len(ODD_NAMES)]
            name = base if i < len(ODD_NAMES) else b"%d" % (i // len(ODD_NAMES)) + base
            where = visible[rng.randrange(len(visible))]
            size = min(int(rng.lognormvariate(mu, spec.size_sigma)), spec.max_size)
            path = os.fsencode(self.root / where.rel) + b"/" + name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                if size:
                    os.ftruncate(fd, size)
            finally:
                os.close(fd)
            text = os.fsdecode(name)
            ext = os.path.splitext(text)[1].casefold()
            ext = "" if ext == "." else ext  # "trailing." has no extension (the "" key)
            shown = not text.startswith(".")
            self.tally.add(ext, size, visible=shown, new_inode=True)
            if shown:
                self.tally.visible_bytes += size

    def _spread_mtimes(self) -> None:
        # every entry, in a sorted order (seeded offsets must not follow readdir order);
        # directories after their contents, so that nothing created later touches them
        spread = int(self.spec.mtime_spread_days * 86400 * 1_000_000_000)
        now = time.time_ns()
        for top, dirnames, filenames in os.walk(os.fsencode(self.root), topdown=False):
            for name in sorted(dirnames + filenames):
                t = now - self.rng.randrange(spread + 1)
                os.utime(os.path.join(top, name), ns=(t, t), follow_symlinks=False)

    def _make_dirs(self) -> None:
        spec, rng = self.spec, self.rng
        wanted = max(1, math.ceil(spec.files / spec.files_per_dir))
        root = _Dir("", 0, False)
        self.dirs.append(root)
        frontier = 0
        # Breadth-first with a random fanout per directory: shallow levels fill first, as in
        # real trees, and the depth grows with log(dirs).
        while len(self.dirs) < wanted and frontier < len(self.dirs):
            parent = self.dirs[frontier]
            frontier += 1
            if parent.depth >= spec.max_depth:
                continue
            for _ in range(rng.randint(0 if frontier > 1 else 1, 2 * spec.fanout)):
                if len(self.dirs) >= wanted:
                    break
                self.dirs.append(self._new_dir(parent, hidden=False))
        # Hide a few leaf directories (renamed before anything is created): hiding a shallow
        # one would hide a large share of the tree and skew walks that skip hidden entries.
        parents = {d.rel.rpartition("/")[0] for d in self.dirs[1:]}
        candidates = [i for i in range(1, len(self.dirs)) if self.dirs[i].rel not in parents]
        for i in sorted(rng.sample(candidates, min(spec.hidden_dirs, len(candidates)))):
            self._hide(i)
        for d in self.dirs[1:]:
            os.mkdir(self.root / d.rel)

    def _new_dir(self, parent: _Dir, *, hidden: bool) -> _Dir:
        word = _DIR_WORDS[self.rng.randrange(len(_DIR_WORDS))]
        name = self._unique(parent, ("." if hidden else "") + word + "{n}")
        rel = f"{parent.rel}/{name}" if parent.rel else name
        return _Dir(rel, parent.depth + 1, parent.hidden or hidden)

    def _hide(self, i: int) -> None:
        old = self.dirs[i].rel
        head, _, tail = old.rpartition("/")
        new = f"{head}/.{tail}" if head else f".{tail}"
        prefix = old + "/"
        for d in self.dirs:
            if d.rel == old or d.rel.startswith(prefix):
                d.rel = new + d.rel[len(old) :]
                d.hidden = True

    def _unique(self, where: _Dir, pattern: str) -> str:
        """A name from ``pattern`` not yet used in ``where`` (``{s}`` stem, ``{n}`` number).

        While files are being created the names live in ``where.names``; afterwards (symlinks,
        empty dirs, hard links) those sets are dropped to save memory and the disk is asked.
        """
        on_disk = self.files_done
        while True:
            n = self.rng.randrange(100 + 4 * len(where.names) if not on_disk else 1 << 20)
            stem = f"{_STEMS[n % len(_STEMS)]}{n}"
            name = pattern.replace("{s}", stem).replace("{n}", str(n))
            if on_disk:
                if not os.path.lexists(self.root / where.rel / name):
                    return name
            elif name not in where.names:
                where.names.add(name)
                return name

    def _files_per_dir(self) -> array[int]:
        # Pareto weights make a few directories big and most small, as in real trees.
        weights = [self.rng.paretovariate(1.2) for _ in self.dirs]
        cum = list(_cumulative(weights))
        counts = array("q", bytes(8 * len(self.dirs)))
        population = range(len(self.dirs))
        left = self.spec.files
        while left:
            chunk = min(left, 1 << 16)
            for d in self.rng.choices(population, cum_weights=cum, k=chunk):
                counts[d] += 1
            left -= chunk
        return counts

    def _make_symlinks(self) -> None:
        spec, rng = self.spec, self.rng
        for _ in range(spec.symlinks):
            where = self.dirs[rng.randrange(len(self.dirs))]
            roll = rng.random()
            if roll < 0.1:
                target = "does-not-exist"
            elif roll < 0.4:
                target = self._relative_to(where, self.dirs[rng.randrange(len(self.dirs))].rel)
            else:
                target = self._random_file_target(where)
            self._symlink(where, target, "link{n}")
        if spec.symlink_loop:
            deep = [d for d in self.dirs if d.depth >= 1] or self.dirs
            where = deep[rng.randrange(len(deep))]
            self._symlink(where, "..", "loop{n}")  # a cycle for walks that follow links
            name = self._unique(where, "self{n}")
            os.symlink(name, self.root / where.rel / name)  # ELOOP when resolved
            self.symlinks += 1

    def _random_file_target(self, where: _Dir) -> str:
        for _ in range(20):
            d = self.dirs[self.rng.randrange(len(self.dirs))]
            with os.scandir(self.root / d.rel) as it:
                files = sorted(e.name for e in it if e.is_file(follow_symlinks=False))
            if files:
                name = files[self.rng.randrange(len(files))]
                return self._relative_to(where, f"{d.rel}/{name}" if d.rel else name)
        return "does-not-exist"

    def _relative_to(self, where: _Dir, rel: str) -> str:
        return os.path.relpath(self.root / rel, self.root / where.rel) if rel != where.rel else "."

    def _symlink(self, where: _Dir, target: str, pattern: str) -> None:
        name = self._unique(where, pattern)
        os.symlink(target, self.root / where.rel / name)
        self.symlinks += 1

    def _make_empty_dirs(self) -> None:
        for _ in range(self.spec.empty_dirs):
            parent = self.dirs[self.rng.randrange(len(self.dirs))]
            d = self._new_dir(parent, hidden=False)
            os.mkdir(self.root / d.rel)
            self.dirs.append(d)

    def _make_hardlinks(self, targets: list[tuple[int, str, str, int, bool]]) -> None:
        for d, name, ext, size, target_visible in targets:
            where = self.dirs[self.rng.randrange(len(self.dirs))]
            link = self._unique(where, "{s}-link" + ext)
            os.link(self.root / self.dirs[d].rel / name, self.root / where.rel / link)
            visible = not where.hidden
            self.tally.add(ext, size, visible=visible, new_inode=False)
            if visible and not target_visible:
                self.tally.visible_bytes += size  # the inode is first visible through the link

    def _manifest(self) -> TreeManifest:
        t = self.tally
        exts = {
            e: ExtCount(files=n, bytes=t.ext_bytes.get(e, 0))
            for e, n in sorted(t.ext_files.items())
        }
        return TreeManifest(
            root=str(self.root),
            spec=self.spec,
            spec_hash=self.spec.digest(),
            files=t.files,
            dirs=len(self.dirs) - 1,
            symlinks=self.symlinks,
            bytes=t.bytes,
            extensions=exts,
            visible_files=t.visible_files,
            visible_dirs=sum(1 for d in self.dirs[1:] if not d.hidden),
            visible_bytes=t.visible_bytes,
            depth=max(d.depth for d in self.dirs),
        )


def _cumulative(weights: Any) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def remove_tree(root: str | os.PathLike[str]) -> None:
    """Remove a generated tree and its marker (refuses a tree without a marker)."""
    root_path = Path(os.path.abspath(root))
    marker = marker_path(root_path)
    if not marker.exists():
        raise UsageProblem(f"{root_path} has no {marker.name}: not a generated tree")
    shutil.rmtree(root_path, ignore_errors=True)
    for leftover in (marker, _lock_path(root_path)):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
