"""Zip archive benchmarks: listing, trees of archives, ``--verify`` memory, processes.

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_zip.py

Inputs come from the seeded generator ``scanner.labs.archives`` and are written once to
``--workdir`` (default ``/tmp/scanner-bench-zip``). Whole-process groups use the interleaved,
shuffled rounds of ``bench_ping`` (``Contender``/``measure``/``table``), so the ratios are
measured side by side in one run:

1. **list**: a 100,000-member archive: ``scanner zip --names`` (the same output) against
   ``zipinfo -1`` (the baseline), ``scanner zip --list`` against ``unzip -l`` (the same
   columns), plus the start-up floors: ``python -c pass``, ``scanner --version`` and both
   commands on a 1-member archive; then, in-process, where the time goes (readers,
   rendering, imports of the command). ``scanner`` runs from a venv with a regular
   (non-editable) install made under ``--workdir``, as the README's quick start installs it:
   the development venv's editable-install finder alone adds ~10 ms to every start (shown
   in its own row).
2. **tree**: 500 small archives in a tree: ``scanner zip --jsonl`` against a shell loop of
   ``zipinfo`` (baseline) and a ``zipfile`` script reading each central directory
   sequentially; in-process, the engine against a sequential loop of the same work unit.
3. **verify-rss**: peak RSS (GNU ``time -f %M``) of ``scanner zip --verify`` on an archive with a
   200 MiB bzip2 member (target: under 64 MiB), next to ``zipfile``'s ``testzip()``.
4. **processes**: four 100k-member archives audited in-process by the engine with threads
   only, with the automatic policy (a process for a big archive while another is parsed),
   and with every archive in a worker process.
5. **sniff**: reading the tails of the 1,000 files of the tree (``--sniff``): aiofiles per
   file against one thread hop per batch of 256 (what ``find_archives`` does).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from benchmarks.bench_ping import table, tool  # noqa: E402
from scanner.compare.timing import alternate, command, median_of, ratio_table  # noqa: E402

MIB = 1024 * 1024
SCANNER = [sys.executable, "-m", "scanner"]


def prepare(workdir: Path) -> dict[str, Path]:
    """Write the inputs once (idempotent): returns name -> path."""
    from scanner.labs.archives import many_members_zip, ordinary_zip, write_bzip2_member

    workdir.mkdir(parents=True, exist_ok=True)
    paths = {
        "big": workdir / "members100k.zip",
        "tiny": workdir / "one.zip",
        "tree": workdir / "tree500",
        "bz2": workdir / "bzip2-200MiB.zip",
    }
    if not paths["big"].exists():
        paths["big"].write_bytes(many_members_zip(100_000, seed=1))
    if not paths["tiny"].exists():
        paths["tiny"].write_bytes(ordinary_zip(7, 1))
    tree = paths["tree"]
    if not tree.exists():
        tmp = workdir / "tree500.tmp"
        for i in range(500):
            sub = tmp / f"d{i % 25:02d}" / f"e{i % 7}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"a{i:04d}.zip").write_bytes(ordinary_zip(1000 + i, 4 + i % 20))
            (sub / f"notes{i:04d}.txt").write_text("not an archive\n")
        tmp.rename(tree)
    if not paths["bz2"].exists():
        tmp_bz2 = workdir / "bzip2.tmp"
        write_bzip2_member(tmp_bz2, 200 * MIB)
        tmp_bz2.rename(paths["bz2"])
    for n in range(4):
        copy = workdir / f"members100k-{n}.zip"
        if not copy.exists():
            copy.write_bytes(paths["big"].read_bytes())
    return paths


# ----------------------------------------------------------------------------- 1. list
def release_venv(workdir: Path) -> Path:
    """A venv with ``pip install REPO`` (not editable), rebuilt when the sources changed."""
    venv = workdir / "venv"
    stamp = venv / "installed-from"
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "scanner", "pyproject.toml"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    want = head + ("+dirty" if dirty else "")
    if not (stamp.exists() and stamp.read_text() == want and not dirty):
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--force-reinstall", str(REPO)],
            check=True,
        )
        stamp.write_text(want)
    return venv / "bin"


def bench_list(paths: dict[str, Path], rounds: int) -> str:
    big, tiny = str(paths["big"]), str(paths["tiny"])
    bin_dir = release_venv(paths["big"].parent)
    scanner = [str(bin_dir / "scanner")]
    group = [
        tool("zipinfo -1 members100k.zip", ["zipinfo", "-1", big]),
        tool("scanner zip --names members100k.zip", [*scanner, "zip", "--names", big]),
        tool(
            "scanner zip --names members100k.zip (dev venv, editable)",
            [*SCANNER, "zip", "--names", big],
        ),
        tool("unzip -l members100k.zip", ["unzip", "-l", big]),
        tool("scanner zip --list members100k.zip", [*scanner, "zip", "--list", big]),
        tool("python -c pass", [str(bin_dir / "python"), "-c", "pass"]),
        tool("scanner --version", [*scanner, "--version"]),
        tool("scanner zip --names one.zip", [*scanner, "zip", "--names", tiny]),
        tool("scanner zip --list one.zip", [*scanner, "zip", "--list", tiny]),
    ]
    alternate(group, rounds, warmup=1)
    out = [table("1. Listing a 100,000-member archive (whole process)", group, group[0].name)]
    out.append(list_breakdown(big, rounds))
    return "\n".join(out)


def list_breakdown(big: str, runs: int) -> str:
    """In-process: the reader alone, the listing's rendering, and the command's imports."""
    from scanner.archives.config import ZipConfig
    from scanner.archives.views import listing_text
    from scanner.archives.zip.inspect import inspect_file
    from scanner.archives.zip.plain import read_plain_listing, read_plain_names

    def names_only() -> None:
        with open(big, "rb") as fh:
            data = fh.read()
        read_plain_names(data, len(data), b"\n")

    def listing_only() -> None:
        with open(big, "rb") as fh:
            data = fh.read()
        read_plain_listing(data, len(data))

    names = median_of(names_only, runs)
    plain_listing = median_of(listing_only, runs)
    cfg = ZipConfig(keep_members=True, audit=False)
    read = median_of(lambda: inspect_file(big, cfg), runs)
    report = inspect_file(big, cfg)
    render = median_of(lambda: listing_text(report, str), runs)
    audited = median_of(lambda: inspect_file(big, ZipConfig(keep_members=True)), max(3, runs // 2))
    imports = import_times()
    rows = [
        "| step (in-process, median) | seconds |",
        "|---|---:|",
        f"| read the file, its 100k names (`read_plain_names`: `--names`) | {names:.3f} |",
        f"| read the file, format 100k `unzip -l` lines (`read_plain_listing`: `--list`) "
        f"| {plain_listing:.3f} |",
        f"| full path: 100k `Member`s (`audit=False`, what `--list` does otherwise) | {read:.3f} |",
        f"| same with the audit (local headers, overlaps, names) | {audited:.3f} |",
        f"| render the `unzip -l` text | {render:.3f} |",
    ]
    rows += [
        f"| import `{name}` (fresh interpreter, -X importtime) | {t:.3f} |" for name, t in imports
    ]
    return "\n".join(rows) + "\n"


def import_times() -> list[tuple[str, float]]:
    """Cumulative import time of the modules on the command's path, in a fresh interpreter."""
    modules = [
        "scanner.entry",
        "scanner.archives.zip.plain",
        "typer",
        "scanner.cli",
        "scanner.archives.run",
        "scanner.archives.zip.inspect",
    ]
    code = "import " + ", ".join(modules)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    cumulative: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            cumulative[parts[2].strip()] = int(parts[1]) / 1e6
    return [(m, cumulative.get(m, 0.0)) for m in modules]


# ----------------------------------------------------------------------------- 2. tree
ZIPFILE_SCRIPT = """
import os, sys, zipfile
n = 0
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".zip"):
            with zipfile.ZipFile(os.path.join(d, f)) as z:
                n += len(z.infolist())
print(n)
"""


def bench_tree(paths: dict[str, Path], rounds: int) -> str:
    tree = str(paths["tree"])
    loop = f'for f in $(find {tree} -name "*.zip"); do zipinfo "$f"; done'
    group = [
        tool("sh: for f in $(find); do zipinfo $f; done", ["sh", "-c", loop]),
        tool(
            "python: os.walk + zipfile.ZipFile(...).infolist()",
            [sys.executable, "-c", ZIPFILE_SCRIPT, tree],
        ),
        tool("scanner zip --jsonl tree500", [*SCANNER, "zip", "-q", "--jsonl", tree]),
        tool(
            "scanner zip -j1 --jsonl tree500", [*SCANNER, "zip", "-q", "-j", "1", "--jsonl", tree]
        ),
        tool(
            "scanner zip --list --jsonl tree500", [*SCANNER, "zip", "-q", "--list", "--jsonl", tree]
        ),
    ]
    alternate(group, rounds, warmup=1)
    return (
        table("2. 500 small archives in a tree (whole process)", group, group[0].name)
        + "\n"
        + tree_in_process(tree, rounds)
    )


def tree_in_process(tree: str, runs: int) -> str:
    """The engine (threads, batching) against a sequential loop of the same work unit."""
    import anyio

    from scanner.archives._unit import inspect_one
    from scanner.archives.config import EngineConfig, ZipConfig
    from scanner.archives.engine import inspect_paths
    from scanner.archives.model import Candidate

    files = sorted(
        os.path.join(d, f) for d, _, names in os.walk(tree) for f in names if f.endswith(".zip")
    )
    candidates = [Candidate(p, os.path.getsize(p)) for p in files]
    cfg = ZipConfig()

    def sequential() -> None:
        for p in files:
            inspect_one(p, cfg)

    def engine(workers: int, batch: int) -> Callable[[], None]:
        async def body() -> None:
            async def sink(_report: object) -> None:
                return None

            ecfg = EngineConfig(workers=workers, batch_max_files=batch)
            await inspect_paths(candidates, cfg, sink, ecfg)

        return lambda: anyio.run(body)

    rows = [
        "| in-process, 500 archives, median | seconds |",
        "|---|---:|",
        f"| sequential `inspect_one` loop | {median_of(sequential, runs):.3f} |",
        f"| engine, 4 workers, batches of 32 | {median_of(engine(4, 32), runs):.3f} |",
        f"| engine, 4 workers, one archive per thread hop | {median_of(engine(4, 1), runs):.3f} |",
        f"| engine, 1 worker, batches of 32 | {median_of(engine(1, 32), runs):.3f} |",
    ]
    return "\n".join(rows) + "\n"


# ----------------------------------------------------------------------- 3. verify RSS
def bench_verify(paths: dict[str, Path], rounds: int) -> str:
    bz2 = str(paths["bz2"])
    testzip = f"import zipfile; print(zipfile.ZipFile({bz2!r}).testzip())"
    contenders = [
        ("scanner zip --verify bzip2-200MiB.zip", [*SCANNER, "zip", "-q", "--verify", bz2]),
        (
            # the default view: the typer path (--list one.zip would take the fast path)
            "scanner zip one.zip (start-up floor)",
            [*SCANNER, "zip", "-q", str(paths["tiny"])],
        ),
        ("python: zipfile.ZipFile(...).testzip()", [sys.executable, "-c", testzip]),
    ]
    # GNU time's %M: wait4 from this (large) process would report at least its own size
    group = [command(name, argv, cwd=REPO, gnu_time=True) for name, argv in contenders]
    alternate(group, max(1, rounds // 2))
    return "#### 3. Peak memory of `--verify` on a 200 MiB bzip2 member\n\n" + ratio_table(
        group, group[-1]
    )


# ------------------------------------------------------------------------ 4. processes
def bench_processes(workdir: Path, rounds: int) -> str:
    import anyio

    from scanner.archives.config import EngineConfig, ProcessPolicy, ZipConfig
    from scanner.archives.engine import inspect_paths
    from scanner.archives.model import Candidate

    files = [workdir / f"members100k-{n}.zip" for n in range(4)]
    candidates = [Candidate(str(p), p.stat().st_size) for p in files]

    def run(policy: ProcessPolicy, keep: bool) -> Callable[[], None]:
        async def body() -> None:
            async def sink(_report: object) -> None:
                return None

            ecfg = EngineConfig(workers=2, processes=policy)
            await inspect_paths(candidates, ZipConfig(keep_members=keep), sink, ecfg)

        return lambda: anyio.run(body)

    lines = [
        "#### 4. Threads or processes: four 100k-member archives audited, 2 workers, in-process",
        "",
        "| policy | members kept | median s |",
        "|---|---|---:|",
    ]
    runs = max(3, rounds // 2)
    for keep in (False, True):
        for policy in (ProcessPolicy.NEVER, ProcessPolicy.AUTO, ProcessPolicy.ALWAYS):
            if keep and policy is ProcessPolicy.AUTO:
                continue  # AUTO never uses processes when members are kept
            t = median_of(run(policy, keep), runs)
            lines.append(f"| {policy.value} | {'yes' if keep else 'no'} | {t:.2f} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- 5. sniff
def bench_sniff(paths: dict[str, Path], rounds: int) -> str:
    """``--sniff``'s tail reads: a thread hop per walk batch against aiofiles per file."""
    import anyio

    from scanner.archives.detect import sniff_files, sniff_path
    from scanner.archives.model import Candidate

    tree = paths["tree"]
    files = sorted(str(p) for p in tree.rglob("*") if p.is_file())
    items = [Candidate(p, os.path.getsize(p)) for p in files]

    def per_file() -> None:
        async def body() -> None:
            limiter = anyio.Semaphore(16)

            async def one(item: Candidate) -> None:
                async with limiter:
                    await sniff_path(item.path, item.size)

            async with anyio.create_task_group() as tg:
                for item in items:
                    tg.start_soon(one, item)

        anyio.run(body)

    def batched() -> None:
        async def body() -> None:
            async with anyio.create_task_group() as tg:
                for i in range(0, len(items), 256):
                    tg.start_soon(anyio.to_thread.run_sync, sniff_files, items[i : i + 256])

        anyio.run(body)

    runs = max(3, rounds // 2)
    return (
        "\n".join(
            [
                f"#### 5. Sniffing the tails of {len(items):,} files (tree500: archives and text), "
                "in-process",
                "",
                "| how | median s | per file µs |",
                "|---|---:|---:|",
                *(
                    f"| {name} | {t:.3f} | {t / len(items) * 1e6:.0f} |"
                    for name, t in (
                        (
                            "`sniff_path` per file (aiofiles open + pread + close), 16 at once",
                            median_of(per_file, runs),
                        ),
                        ("`sniff_files`, one thread hop per 256 files", median_of(batched, runs)),
                    )
                ),
            ]
        )
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen groups and print Markdown tables for RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scanner-bench-zip"))
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds per group")
    parser.add_argument(
        "--only",
        default="list,tree,verify,processes,sniff",
        help="comma-separated groups: list, tree, verify, processes, sniff",
    )
    args = parser.parse_args(argv)
    groups = set(args.only.split(","))
    paths = prepare(args.workdir)
    print(f"<!-- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs -->\n")
    if "list" in groups:
        print(bench_list(paths, args.rounds))
    if "tree" in groups:
        print(bench_tree(paths, args.rounds))
    if "verify" in groups:
        print(bench_verify(paths, args.rounds))
    if "processes" in groups:
        print(bench_processes(args.workdir, args.rounds))
    if "sniff" in groups:
        print(bench_sniff(paths, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
