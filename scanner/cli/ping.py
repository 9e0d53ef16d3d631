"""``scanner ping TARGET...``: sweep hosts with concurrent ``ping`` children, like fping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from scanner.cli._cluster_options import cluster_options
from scanner.cli._groups import ClusterOptions, DataOptions
from scanner.cli._options import data_options, duration

if TYPE_CHECKING:
    from scanner.net.config import ProbeMethod

#: Sweeps over this many hosts need --yes (fping has no such guard; a typo in a prefix
#: length should not ping a /8).
DEFAULT_MAX_HOSTS = 65_536

TargetsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Addresses, host names, CIDR blocks (10.0.0.0/24) or ranges (10.0.0.1-20).",
        show_default=False,
    ),
]
FileOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--file",
        "-f",
        metavar="FILE",
        help="Read targets from FILE ('-' for stdin); '#' starts a comment.",
        show_default=False,
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        "-E",
        metavar="TARGET",
        help="Leave out these targets (any target syntax; repeat or separate with commas).",
        show_default=False,
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Allow sweeps over --max-hosts hosts.")]
MaxHostsOpt = Annotated[
    int, typer.Option("--max-hosts", help="Host count above which --yes is needed.", min=1)
]
AliveOpt = Annotated[
    bool, typer.Option("--alive", "-a", help="Print only the targets that are alive (fping -a).")
]
UnreachableOpt = Annotated[
    bool,
    typer.Option(
        "--unreachable", "-u", help="Print only the targets that are not alive (fping -u)."
    ),
]
CountOpt = Annotated[
    int,
    typer.Option(
        "--count", "-c", help="Echo requests per host (connects per port for tcp).", min=1
    ),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        help="Probes at once (default: sized to the CPUs and the open-file limit).",
        min=1,
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        "-t",
        parser=duration(),
        metavar="DURATION",
        help="Wait this long for each reply (500ms, 1s; a bare number is seconds).",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        "-i",
        parser=duration(),
        metavar="DURATION",
        help="Time between requests to one host (-c > 1, -l).",
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        parser=duration(bare_max=None),
        metavar="DURATION",
        help="Time one host may take before its probe is stopped "
        "(default: (count - 1) x interval + timeout + 2 s); with -l, how long to loop.",
        show_default=False,
    ),
]
RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate",
        help="At most this many echo requests per second over the whole sweep (icmp: "
        "default 1000, at most 100000; ping, tcp: unlimited by default).",
        show_default=False,
    ),
]
IcmpSocketOpt = Annotated[
    str, typer.Option("--icmp-socket", hidden=True, help="auto, dgram or raw (--method icmp).")
]
RetriesOpt = Annotated[
    int, typer.Option("--retries", "-r", help="Retry hosts that did not answer.", min=0)
]
BackoffOpt = Annotated[
    float,
    typer.Option(
        "--backoff",
        parser=duration(),
        metavar="DURATION",
        help="Wait before the first retry (doubles each time).",
    ),
]
V4Opt = Annotated[bool, typer.Option("-4", help="IPv4 only (names resolve to IPv4).")]
V6Opt = Annotated[bool, typer.Option("-6", help="IPv6 only (names resolve to IPv6).")]
MethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        "-m",
        help="auto (icmp where an ICMP socket may be opened, else ping), icmp (our own "
        "ICMP sockets), ping (one system ping per host) or tcp (connect: each port open, "
        "closed or filtered; the host is up when any port answered).",
        metavar="auto|icmp|ping|tcp",
    ),
]
PortOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--port",
        "-p",
        metavar="P[,P...]",
        help="Ports for --method tcp, each connected to -c times (default: 80,443).",
        show_default=False,
    ),
]
LoopOpt = Annotated[
    bool,
    typer.Option(
        "--loop",
        "-l",
        help="Probe the targets again every -i until Ctrl-C (or --deadline), a line per "
        "reply; Ctrl-C prints each host's summary (fping -l).",
    ),
]
RepliesOpt = Annotated[
    bool | None,
    typer.Option(
        "--replies/--no-replies",
        help="A line per request as it is answered or lost, fping -c style (--jsonl: reply "
        "records). Default: on with -l, and for text on a terminal with -c > 1.",
        show_default=False,
    ),
]
PingOpt = Annotated[str, typer.Option("--ping", help="The ping executable to run.")]
SpawnerOpt = Annotated[
    str,
    typer.Option("--spawner", hidden=True, help="auto, posix, posix-inline, anyio or anyio-pidfd."),
]
BackendOpt = Annotated[str, typer.Option("--backend", hidden=True, help="asyncio or trio.")]


def _ports(values: list[str]) -> tuple[int, ...]:
    from scanner.cli._output import usage

    ports: list[int] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item.isdigit() or not 0 < int(item) < 65536:
                raise usage(f"--port: {item!r} is not a port number (1-65535)")
            ports.append(int(item))
    return tuple(dict.fromkeys(ports))


def _choose_method(method: str, icmp_socket: str, *, family: int, quiet: bool) -> ProbeMethod:
    """``--method`` as the sweep runs it; auto's choice is noted on stderr."""
    import sys

    from scanner.net.config import ProbeMethod
    from scanner.net.icmp.method import choose_method

    choice = choose_method(ProbeMethod(method), icmp_socket, family=family)
    if choice.note and not quiet:
        sys.stderr.write(f"scanner: {choice.note}\n")
    return choice.method


@cluster_options
@data_options
def ping_command(
    targets: TargetsArg = None,
    *,
    file: FileOpt = None,
    exclude: ExcludeOpt = None,
    yes: YesOpt = False,
    max_hosts: MaxHostsOpt = DEFAULT_MAX_HOSTS,
    alive: AliveOpt = False,
    unreachable: UnreachableOpt = False,
    count: CountOpt = 1,
    jobs: JobsOpt = None,
    timeout: TimeoutOpt = 1.0,
    interval: IntervalOpt = 1.0,
    deadline: DeadlineOpt = None,
    rate: RateOpt = None,
    retries: RetriesOpt = 0,
    backoff: BackoffOpt = 0.5,
    ipv4: V4Opt = False,
    ipv6: V6Opt = False,
    method: MethodOpt = "auto",
    port: PortOpt = None,
    loop: LoopOpt = False,
    replies: RepliesOpt = None,
    ping: PingOpt = "ping",
    spawner: SpawnerOpt = "auto",
    icmp_socket: IcmpSocketOpt = "auto",
    backend: BackendOpt = "asyncio",
    clu: ClusterOptions,
    data: DataOptions,
) -> int:
    """Sweep hosts and report which are alive, streaming one line per host as it finishes.

    Exit 0 when every host is alive, 1 when some are unreachable (or could not be pinged),
    2 when some names did not resolve, 3 on a usage error, 130 on Ctrl-C (children are
    killed; what finished is printed).
    """
    import sys
    from dataclasses import replace

    from scanner.cli._cluster import ping_on_cluster
    from scanner.cli._output import usage
    from scanner.net.config import ProbeMethod, SweepConfig, default_concurrency
    from scanner.net.icmp.slots import icmp_concurrency
    from scanner.net.jobs import PingJob
    from scanner.net.targets import count_targets, expand, parse_target_file, parse_target_spec
    from scanner.net.views import ALIVE_ONLY, NOT_ALIVE
    from scanner.output.formats import Format
    from scanner.runtime.command import execute

    if alive and unreachable:
        raise usage("choose one of --alive, --unreachable")
    if ipv4 and ipv6:
        raise usage("choose one of -4, -6")
    if method not in ("auto", "icmp", "ping", "tcp"):
        raise usage(f"--method must be auto, icmp, ping or tcp, not {method!r}")
    if icmp_socket not in ("auto", "dgram", "raw"):
        raise usage("--icmp-socket must be auto, dgram or raw")
    if port and method != "tcp":
        raise usage("--port needs --method tcp")
    if loop and count != 1:
        raise usage("choose one of --count, --loop")
    if loop and retries:
        raise usage("--retries has no meaning with --loop (every round probes again)")
    if backend not in ("asyncio", "trio"):
        raise usage("--backend must be asyncio or trio")
    out = data.output_for(default=Format.TEXT)
    choice = clu.choice()

    specs = [parse_target_spec(t) for t in targets or []]
    for name in file or []:
        if name == "-":
            specs.extend(parse_target_file(sys.stdin, "<stdin>"))
            continue
        try:
            with open(name, encoding="utf-8", errors="surrogateescape") as stream:
                specs.extend(parse_target_file(stream, name))
        except OSError as exc:
            raise usage(f"cannot read target file {name}: {exc.strerror or exc}") from None
    excludes = [
        parse_target_spec(item.strip())
        for value in exclude or []
        for item in value.split(",")
        if item.strip()
    ]
    if not specs:
        raise usage("no targets: give TARGET arguments or -f FILE")
    total = count_targets(specs, excludes)
    if total == 0:
        raise usage("no targets left after --exclude")
    if total > max_hosts and not yes:
        raise usage(
            f"this sweep covers {total:,} hosts, more than --max-hosts {max_hosts:,}; "
            "add --yes to run it"
        )
    if method == "auto" and (ping != "ping" or spawner != "auto"):
        method = "ping"  # options that only the ping method reads choose it
    chosen = _choose_method(method, icmp_socket, family=6 if ipv6 else 4, quiet=data.quiet)
    cfg = SweepConfig(
        method=chosen,
        icmp_socket=icmp_socket,
        ports=_ports(port) if port else (80, 443),
        count=count,
        interval=interval,
        timeout=timeout,
        deadline=deadline,
        rate=rate,
        retries=retries,
        backoff=backoff,
        family=4 if ipv4 else 6 if ipv6 else 0,
        ping=ping,
        spawner=spawner,
        concurrency=default_concurrency() if jobs is None else jobs,
        loop=loop,
    )
    if chosen is ProbeMethod.ICMP and jobs is None:  # after the values are checked
        cfg = replace(cfg, concurrency=icmp_concurrency(rate, count, interval, timeout))
    only = ALIVE_ONLY if alive else NOT_ALIVE if unreachable else None
    if choice is not None and (loop or replies):
        # a cluster's blocks return whole hosts: no reply stream comes back from them
        raise usage("--loop and --replies run in this process: drop --cluster for them")
    if replies is None:  # fping prints them with -c; here only where a person reads them
        replies = out.fmt is Format.TEXT and out.terminal and only is None and count > 1
        replies &= choice is None
        # a loop's only news until Ctrl-C, on a terminal or not (--json/--csv have no place)
        replies |= loop and only is None and out.fmt in (Format.TEXT, Format.JSONL)
    job = PingJob(expand(specs, excludes), cfg, only=only, replies=replies)
    return execute(ping_on_cluster(job, choice, specs, excludes), out, backend=backend)
