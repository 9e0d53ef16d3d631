"""``scanner ping TARGET...``: sweep hosts with concurrent ``ping`` children, like fping."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._cluster_options import cluster_options
from scanner.cli._groups import ClusterOptions, DataOptions
from scanner.cli._options import data_options, duration
from scanner.cli._ping import DEFAULT_MAX_HOSTS

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
    from scanner.cli._ping import run_ping

    return run_ping(
        targets, file=file, exclude=exclude, yes=yes, max_hosts=max_hosts, alive=alive,
        unreachable=unreachable, count=count, jobs=jobs, timeout=timeout, interval=interval,
        deadline=deadline, rate=rate, retries=retries, backoff=backoff, ipv4=ipv4, ipv6=ipv6,
        method=method, port=port, loop=loop, replies=replies, ping=ping, spawner=spawner,
        icmp_socket=icmp_socket, backend=backend, clu=clu, data=data,
    )  # fmt: skip
