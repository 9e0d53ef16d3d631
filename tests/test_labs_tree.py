"""The tree generator: deterministic, counts that agree with an independent walk, idempotent."""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.errors import UsageProblem
from scanner.labs.tree import ExtCount, TreeManifest, TreeSpec, generate_tree, marker_path
from tests.cli_helpers import run_cli

SMALL = TreeSpec(files=1500, seed=7, files_per_dir=15, symlinks=12, hardlinks=8, large_files=2)


def listing(root: Path) -> list[tuple[str, str, int | str]]:
    """Every entry below root: relative path, type, size (files) or target (symlinks)."""
    out: list[tuple[str, str, int | str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out.append((rel, "l", os.readlink(path)))
            elif stat.S_ISDIR(st.st_mode):
                out.append((rel, "d", 0))
            else:
                out.append((rel, "f", st.st_size))
    return sorted(out)


def independent_count(root: Path) -> dict[str, object]:
    """What the manifest claims, recomputed with os.walk + lstat only."""
    files = dirs = links = nbytes = vis_files = vis_dirs = vis_bytes = 0
    seen: set[tuple[int, int]] = set()
    vis_seen: set[tuple[int, int]] = set()
    exts: dict[str, ExtCount] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dir_hidden = any(p.startswith(".") for p in rel_dir.split(os.sep) if p != ".")
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            visible = not dir_hidden and not name.startswith(".")
            if stat.S_ISLNK(st.st_mode):
                links += 1
            elif stat.S_ISDIR(st.st_mode):
                dirs += 1
                vis_dirs += visible
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                new = key not in seen
                seen.add(key)
                files += 1
                nbytes += st.st_size if new else 0
                ext = os.path.splitext(name)[1].casefold()
                old = exts.get(ext, ExtCount())
                exts[ext] = ExtCount(old.files + 1, old.bytes + (st.st_size if new else 0))
                if visible:
                    vis_files += 1
                    if key not in vis_seen:
                        vis_seen.add(key)
                        vis_bytes += st.st_size
    return {
        "files": files,
        "dirs": dirs,
        "symlinks": links,
        "bytes": nbytes,
        "extensions": exts,
        "visible_files": vis_files,
        "visible_dirs": vis_dirs,
        "visible_bytes": vis_bytes,
    }


KEYS = (
    *("files", "dirs", "symlinks", "bytes", "extensions"),
    *("visible_files", "visible_dirs", "visible_bytes"),
)


def claimed(manifest: TreeManifest) -> dict[str, object]:
    """The manifest's counts, shaped like independent_count's."""
    return {key: getattr(manifest, key) for key in KEYS}


def test_same_seed_same_tree_other_seed_other_tree(tmp_path: Path) -> None:
    a = generate_tree(tmp_path / "a", SMALL)
    b = generate_tree(tmp_path / "b", SMALL)
    c = generate_tree(tmp_path / "c", replace(SMALL, seed=8))
    assert listing(tmp_path / "a") == listing(tmp_path / "b")
    assert listing(tmp_path / "a") != listing(tmp_path / "c")
    assert a.to_json() | {"root": "", "elapsed_s": 0} == b.to_json() | {"root": "", "elapsed_s": 0}
    assert a.spec_hash == b.spec_hash != c.spec_hash


def test_manifest_agrees_with_an_independent_walk(tmp_path: Path) -> None:
    manifest = generate_tree(tmp_path / "t", SMALL)
    assert independent_count(tmp_path / "t") == claimed(manifest)
    # The spec's features are really there.
    assert manifest.files == SMALL.files + SMALL.hardlinks
    assert manifest.symlinks == SMALL.symlinks + 2  # plus the cycle and the self link
    assert manifest.dirs >= SMALL.files // SMALL.files_per_dir
    assert manifest.visible_dirs < manifest.dirs  # hidden directories exist
    assert manifest.visible_files < manifest.files  # and dotfiles or hidden files
    assert {".py", ".jpg", ".gz", ""} <= set(manifest.extensions)
    assert all(ext == ext.casefold() for ext in manifest.extensions)


def test_tree_has_the_hard_cases(tmp_path: Path) -> None:
    root = tmp_path / "t"
    generate_tree(root, SMALL)
    names: list[str] = []
    nlinks = 0
    eloop = cycles = 0
    blocks = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        names += filenames
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                nlinks += st.st_nlink > 1
                blocks += st.st_blocks
                size += st.st_size
            elif stat.S_ISLNK(st.st_mode):
                try:
                    target = os.stat(path)
                except OSError as exc:
                    eloop += exc.errno == errno.ELOOP
                else:
                    cycles += os.path.samestat(target, os.stat(os.path.dirname(dirpath)))
    assert nlinks == 2 * SMALL.hardlinks
    assert eloop == 1 and cycles >= 1
    assert any(n.endswith(".tar.gz") for n in names)
    assert any(n.endswith((".JPG", ".TXT", ".Png")) for n in names)
    assert any(n.startswith(".") and "." not in n[1:] for n in names)  # .bashrc-like
    assert size > 2**30 and blocks * 512 < size // 1000  # sparse: apparent size, no disk


def test_generation_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "t"
    first = generate_tree(root, SMALL)
    some_file = next(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    before = some_file.stat().st_mtime_ns, some_file.stat().st_ino
    again = generate_tree(root, SMALL)
    assert first.generated and not again.generated
    assert again.elapsed_s == 0.0
    assert claimed(again) == claimed(first)
    assert (some_file.stat().st_mtime_ns, some_file.stat().st_ino) == before
    assert not (root / marker_path(root).name).exists()  # the marker is outside the tree


def test_other_spec_or_unfinished_run_rebuilds(tmp_path: Path) -> None:
    root = tmp_path / "t"
    generate_tree(root, SMALL)
    other = replace(SMALL, files=300, hardlinks=2)
    rebuilt = generate_tree(root, other)
    assert rebuilt.generated and rebuilt.files == 302
    assert independent_count(root) == claimed(rebuilt)
    # A run that died half-way leaves an "incomplete" marker: the next run starts over.
    marker_path(root).write_text(json.dumps({"state": "incomplete", "spec_hash": "x"}))
    (root / "junk").write_text("left over")
    again = generate_tree(root, other)
    assert again.generated and not (root / "junk").exists()


def test_concurrent_generators_build_once(tmp_path: Path) -> None:
    root = tmp_path / "t"
    spec = replace(SMALL, files=400)
    results: list[TreeManifest] = []
    threads = [
        threading.Thread(target=lambda: results.append(generate_tree(root, spec))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.generated for m in results) == [False, False, True]
    assert all(claimed(m) == independent_count(root) for m in results)


def test_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep me")
    with pytest.raises(UsageProblem, match="not empty"):
        generate_tree(tmp_path / "mine", SMALL)
    assert (tmp_path / "mine" / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "bad",
    [{"files": -1}, {"fanout": 0}, {"empty_file_ratio": 2.0}, {"name_mix": (("a.py", 1.0),)}],
)
def test_invalid_specs_are_usage_problems(bad: dict[str, object]) -> None:
    with pytest.raises(UsageProblem):
        TreeSpec(**bad)  # type: ignore[arg-type]


def test_cli_prints_the_manifest_and_reuses(tmp_path: Path) -> None:
    root = tmp_path / "t"
    ran = run_cli("lab", "tree", str(root), "--files", "200", "--seed", "3", "--json")
    assert ran.code == exit_codes.OK, ran.err
    doc = json.loads(ran.out)
    assert doc["command"] == "lab tree"
    manifest = TreeManifest.from_json(doc["manifest"])
    assert manifest.generated and manifest.files == 210  # 200 files + 10 hard links
    assert independent_count(root) == claimed(manifest)
    again = run_cli("lab", "tree", str(root), "--files", "200", "--seed", "3", "--json")
    assert json.loads(again.out)["manifest"]["generated"] is False
    table = run_cli("lab", "tree", str(root), "--files", "200", "--seed", "3")
    assert table.code == exit_codes.OK and "total files" in table.text and "reused" in table.err


def test_cli_usage_errors(tmp_path: Path) -> None:
    assert run_cli("lab", "tree", str(tmp_path / "x"), "--files", "-1").code == exit_codes.USAGE
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    ran = run_cli("lab", "tree", str(tmp_path / "full"), "--files", "5")
    assert ran.code == exit_codes.USAGE and "not empty" in ran.err
