"""``scanner bench``: the anyio engine against threads and sequential, measured like hyperfine.

Thin: every command parses its options into a :class:`~scanner.compare.plan.BenchConfig`,
asks ``scanner.compare.labs`` for its sizes, and hands over to :func:`_run`, which runs the
grid and writes the table and the exports. The options every command shares are declared
once (``_COMMON``) and added to each command's signature by :func:`_with_common`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scanner import exit_codes
from scanner.errors import OperationFailed, UsageProblem

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from scanner.compare.model import Cell
    from scanner.compare.plan import BenchConfig

app = typer.Typer(
    help="Compare the anyio engine with threaded and sequential variants of the same work.",
    no_args_is_help=True,
)
lab_app = typer.Typer(
    help="Built-in, seeded labs for reproducible comparisons.", no_args_is_help=True
)
app.add_typer(lab_app, name="lab")


@dataclass(frozen=True, slots=True)
class Common:
    """The options every bench command takes."""

    variants: list[str]
    concurrency: str | None
    quick: bool
    rigorous: bool
    runs: int | None
    warmup: int | None
    seed: int
    sequential_max: int | None
    export_json: Path | None
    export_csv: Path | None
    export_markdown: Path | None
    plot: Path | None
    json: bool
    quiet: bool
    inline: bool


_PathOpt = Path | None
_COMMON: dict[str, tuple[Any, Any]] = {
    "variants": (
        Annotated[list[str] | None, typer.Option("--variant", help="Run only this variant "
            "(repeatable): anyio-asyncio, anyio-trio, threads, thread-per-worker/-host, cluster, "
            "sequential.")], None),
    "concurrency": (
        Annotated[str | None, typer.Option("--concurrency", "-j", metavar="N[,N...]",
            help="Concurrency caps to compare (sequential always runs at 1).")], None),
    "quick": (Annotated[bool, typer.Option("--quick", help="3 values per cell.")], False),
    "rigorous": (Annotated[bool, typer.Option("--rigorous",
            help="2 warm-ups, >= 30 values and >= 10 s per cell, no cap.")], False),
    "runs": (Annotated[int | None, typer.Option("--runs", "-r", min=1,
            help="Exactly this many timed runs per cell.")], None),
    "warmup": (Annotated[int | None, typer.Option("--warmup", "-w", min=1,
            help="Untimed warm-up rounds (they also check the results). [default: 1]")], None),
    "seed": (Annotated[int, typer.Option("--seed", help="Seed of the shuffling, bootstrap "
            "and labs.")], 1),
    "sequential_max": (Annotated[int | None, typer.Option("--sequential-max", metavar="SIZE",
            help="Leave sequential out above this size (it would take minutes).")], None),
    "export_json": (Annotated[_PathOpt, typer.Option("--export-json", dir_okay=False,
            help="Write the full report (raw values, machine metadata) as JSON.")], None),
    "export_csv": (Annotated[_PathOpt, typer.Option("--export-csv", dir_okay=False,
            help="Write one CSV row per cell.")], None),
    "export_markdown": (Annotated[_PathOpt, typer.Option("--export-markdown", dir_okay=False,
            help="Write the tables as Markdown.")], None),
    "plot": (Annotated[_PathOpt, typer.Option("--plot", dir_okay=False, metavar="FILE.png",
            help="Box plots (and scaling curves beside them); needs scanner\\[plot].")], None),
    "json": (Annotated[bool, typer.Option("--json", help="Write the JSON report to stdout "
            "instead of the table.")], False),
    "quiet": (Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")],
            False),
    "inline": (Annotated[bool, typer.Option("--inline", hidden=True,
            help="Run cells in this process (debugging; numbers are not isolated).")], False),
}  # fmt: skip


def _with_common(fn: Callable[..., int]) -> Callable[..., int]:
    """Add the shared options to a command; the command receives them as ``common``."""
    own = [
        p for name, p in inspect.signature(fn, eval_str=True).parameters.items() if name != "common"
    ]
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=default)
        for name, (ann, default) in _COMMON.items()
    ]

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> int:
        shared = {name: kwargs.pop(name) for name in _COMMON}
        shared["variants"] = shared["variants"] or []
        return fn(common=Common(**shared), **kwargs)

    wrapper.__signature__ = inspect.Signature([*own, *extra])  # type: ignore[attr-defined]
    return wrapper


def _ints(text: str | None, default: tuple[int, ...], what: str) -> tuple[int, ...]:
    if text is None:
        return default
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageProblem(
            f"{what} takes whole numbers separated by commas, not {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise UsageProblem(f"{what} must be 1 or more")
    return values


def _duration(text: str) -> float:
    # the labs' one reading of a latency (scanner.durations, a unit required, 0..10 s)
    from scanner.cli.lab import parse_duration

    return parse_duration(text)


def _config(common: Common, default_concurrency: tuple[int, ...]) -> BenchConfig:
    from scanner.compare.harness import preset_for
    from scanner.compare.plan import BenchConfig

    if common.quick and common.rigorous:
        raise UsageProblem("choose one of --quick and --rigorous")
    if common.plot is not None:
        # checked before any measuring, not after minutes of runs
        from scanner.compare.plot import plot_available

        ok, why = plot_available()
        if not ok:
            raise OperationFailed(f"--plot: {why}")
    name = "quick" if common.quick else "rigorous" if common.rigorous else "default"
    return BenchConfig(
        variants=tuple(common.variants),
        concurrency=_ints(common.concurrency, default_concurrency, "--concurrency"),
        preset=preset_for(name, runs=common.runs, warmup=common.warmup),
        seed=common.seed,
        sequential_max_size=common.sequential_max,
        inline=common.inline,
    )


def _run(
    common: Common,
    config: BenchConfig,
    workload: str,
    scenario: str,
    lab: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    title: str,
) -> int:
    """Build the grid of ``workload`` over ``lab``'s (size, parameters), run it, print the
    table (or JSON), write the exports."""
    import sys

    from scanner.compare.export import write_exports
    from scanner.compare.plan import build_cells, run_comparison
    from scanner.output.console import Progress, progress_enabled, stdout_console
    from scanner.runtime import signals

    cells, notes = build_cells(workload, scenario, lab, config)
    state = {"done": 0, "total": 0, "cell": ""}

    def on_progress(done: int, total: int, cell: Cell) -> None:
        state.update(done=done, total=total, cell=cell.label)

    def describe() -> str:
        return f"bench: run {state['done']}/{state['total']}  {state['cell']}"

    with Progress(describe, enabled=progress_enabled(common.quiet)):
        report = run_comparison(
            cells,
            config,
            title=title,
            notes=notes,
            on_progress=on_progress,
            # a Ctrl-C or SIGTERM is noted (scanner.runtime.signals) and the grid stops
            # between two runs, as every command stops on the runtime's flag
            should_stop=lambda: bool(signals.pending),
        )
    if common.json:
        from scanner.compare.export.json import to_json

        sys.stdout.write(to_json(report))
    else:
        from scanner.compare.table import render

        console = stdout_console()
        if not sys.stdout.isatty():
            console.width = 200  # a pipe or a file: keep every column whole
        console.print(render(report))
    for path in write_exports(
        report,
        json=common.export_json,
        csv=common.export_csv,
        markdown=common.export_markdown,
        plot=common.plot,
    ):
        if not common.quiet:
            sys.stderr.write(f"bench: wrote {path}\n")
    if report.interrupted:
        sys.stderr.write("bench: interrupted; the table shows the runs that finished\n")
        return signals.exit_code() or exit_codes.INTERRUPTED
    return exit_codes.OK


PathArg = Annotated[Path, typer.Argument(help="Directory tree to walk.", show_default=False)]


@app.command("walk")
@_with_common
def walk_command(path: PathArg, *, common: Common) -> int:
    """Walk + extension counts of PATH: anyio engine vs threads vs sequential."""
    if not path.is_dir():
        raise UsageProblem(f"not a directory: {path}")
    config = _config(common, (2, 8))
    return _run(common, config, "walk", str(path), [(0, {"root": str(path)})], title=f"walk {path}")


ZipPathArg = Annotated[
    Path, typer.Argument(help="An archive or a tree holding archives.", show_default=False)
]


@app.command("zip")
@_with_common
def zip_command(path: ZipPathArg, *, common: Common) -> int:
    """Inspect every archive under PATH: anyio engine vs threads vs sequential."""
    from scanner.compare.variants.zip import find_archives

    archives = find_archives(str(path))
    if not archives:
        raise UsageProblem(f"no archives under {path}")
    config = _config(common, (2, 8))
    return _run(
        common,
        config,
        "zip",
        str(path),
        [(len(archives), {"root": str(path)})],
        title=f"zip {path}",
    )


TargetsArg = Annotated[
    list[str], typer.Argument(help="Targets as `scanner ping` takes them.", show_default=False)
]
PingOpt = Annotated[str, typer.Option("--ping", help="The ping executable.")]
CountOpt = Annotated[int, typer.Option("--count", "-c", min=1, help="Echo requests per host.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds to wait for a reply.")]


@app.command("ping")
@_with_common
def ping_command(
    targets: TargetsArg,
    *,
    ping: PingOpt = "ping",
    count: CountOpt = 1,
    timeout: TimeoutOpt = 1.0,
    common: Common,
) -> int:
    """Ping TARGETS: anyio sweep vs threads vs sequential."""
    from scanner.net.config import SweepConfig
    from scanner.net.targets import count_targets, parse_target_spec

    # validated here, not in every worker (a bad --timeout was exit 4 "worker failed")
    SweepConfig(count=count, timeout=timeout, ping=ping, concurrency=1)
    size = count_targets([parse_target_spec(t) for t in targets])
    params = {"targets": list(targets), "ping": ping, "count": count, "timeout": timeout}
    config = _config(common, (64,))
    return _run(
        common, config, "ping", "targets", [(size, params)], title=f"ping {' '.join(targets)}"
    )


SizesOpt = Annotated[
    str | None, typer.Option("--sizes", metavar="N[,N...]", help="Sizes of the scaling sweep.")
]
LatencyOpt = Annotated[str, typer.Option("--latency", help="Latency (e.g. 2ms, 100ms).")]
DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="Where labs are generated. [default: $TMPDIR/scanner-labs]"),
]


@lab_app.command("walk")
@_with_common
def lab_walk(*, sizes: SizesOpt = None, lab_dir: DirOpt = None, common: Common) -> int:
    """Seeded trees on the local disk, warm cache (files per tree: --sizes)."""
    from scanner.compare.labs import tree_sizes

    config = _config(common, (2, 8))
    chosen = _ints(sizes, (10_000,), "--sizes")
    lab = tree_sizes(chosen, seed=common.seed, base=lab_dir)
    return _run(common, config, "walk", "tree", lab, title="walk: seeded tree, warm cache")


@lab_app.command("slowfs")
@_with_common
def lab_slowfs(
    *, sizes: SizesOpt = None, latency: LatencyOpt = "2ms", lab_dir: DirOpt = None,
    common: Common,
) -> int:  # fmt: skip
    """Seeded trees behind the slow FUSE file system (a latency per metadata call)."""
    from scanner.compare.labs import slowfs_sizes

    config = _config(common, (64,))
    chosen = _ints(sizes, (2_000,), "--sizes")
    delay = _duration(latency)
    with slowfs_sizes(chosen, latency_s=delay, seed=common.seed, base=lab_dir) as lab:
        return _run(
            common,
            config,
            "walk",
            f"slowfs-{latency}",
            lab,
            title=f"walk: slow FS lab, {latency} per call",
        )


@lab_app.command("zip")
@_with_common
def lab_zip(*, sizes: SizesOpt = None, lab_dir: DirOpt = None, common: Common) -> int:
    """The seeded archive corpus of scanner.labs.archives: ordinary and hostile archives."""
    from scanner.compare.variants.zip import corpus_sizes

    config = _config(common, (2, 8))
    chosen = _ints(sizes, (200,), "--sizes")
    lab = corpus_sizes(chosen, seed=common.seed, base=lab_dir)
    return _run(common, config, "zip", "corpus", lab, title="zip: seeded archive corpus")


HostsOpt = Annotated[
    str | None, typer.Option("--hosts", metavar="N[,N...]", help="Host counts to sweep.")
]


@lab_app.command("ping-fake")
@_with_common
def lab_ping_fake(*, hosts: HostsOpt = None, latency: LatencyOpt = "100ms", common: Common) -> int:
    """The sh fake ping with a latency model on 127.1.x.y (no packet is sent)."""
    from scanner.compare.labs import fake_ping_sizes

    config = _config(common, (256,))
    chosen = _ints(hosts, (200,), "--hosts")
    with fake_ping_sizes(chosen, latency_ms=_duration(latency) * 1e3) as lab:
        return _run(
            common,
            config,
            "ping",
            f"fake-{latency}",
            lab,
            title=f"ping: fake ping, {latency} latency",
        )


@lab_app.command("ping-loopback")
@_with_common
def lab_ping_loopback(*, hosts: HostsOpt = None, common: Common) -> int:
    """The real ping on 127.1.x.y (every host alive)."""
    from scanner.compare.labs import loopback_sizes

    config = _config(common, (64,))
    lab = loopback_sizes(_ints(hosts, (200,), "--hosts"))
    return _run(common, config, "ping", "loopback", lab, title="ping: real ping on loopback")


AliveOpt = Annotated[
    int, typer.Option("--alive", min=0, max=253, help="Far-side hosts that answer.")
]


@lab_app.command("ping-netns")
@_with_common
def lab_ping_netns(
    *, hosts: HostsOpt = None, alive: AliveOpt = 16, timeout: TimeoutOpt = 1.0, common: Common
) -> int:
    """The real ping inside two network namespaces joined by a veth pair (198.18.0.0/24):
    --alive hosts answer, the rest time out. Workers run inside the near namespace."""
    from dataclasses import replace

    from scanner.compare.labs import netns_sizes

    config = _config(common, (64,))
    chosen = _ints(hosts, (32,), "--hosts")
    with netns_sizes(chosen, alive=alive) as (lab, prefix):
        config = replace(config, worker_prefix=prefix)
        lab = [(n, {**p, "timeout": timeout}) for n, p in lab]
        return _run(
            common, config, "ping", "netns", lab, title=f"ping: namespace lab, {alive} alive"
        )
