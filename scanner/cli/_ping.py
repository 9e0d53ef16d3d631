"""What ``scanner ping`` does once its options are parsed, without typer (the typer command
and :mod:`scanner.cli.fast` both call it)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays unimported on the fast path
if TYPE_CHECKING:
    from scanner.cli._groups import ClusterOptions, DataOptions
    from scanner.net.icmp.method import MethodChoice

#: Sweeps over this many hosts need --yes (fping has no such guard; a typo in a prefix
#: length should not ping a /8).
DEFAULT_MAX_HOSTS = 65_536


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


def _choose_method(
    method: str, icmp_socket: str, *, family: int, families: set[int], quiet: bool
) -> MethodChoice:
    """``--method`` as the sweep runs it; auto's choice is noted on stderr."""
    import sys

    from scanner.net.config import ProbeMethod
    from scanner.net.icmp.method import choose_method

    choice = choose_method(ProbeMethod(method), icmp_socket, family=family, families=families)
    if choice.note and not quiet:
        sys.stderr.write(f"scanner: {choice.note}\n")
    return choice


def run_ping(
    targets: list[str] | None,
    *,
    file: list[str] | None,
    exclude: list[str] | None,
    yes: bool,
    max_hosts: int,
    alive: bool,
    unreachable: bool,
    count: int,
    jobs: int | None,
    timeout: float,
    interval: float,
    deadline: float | None,
    rate: float | None,
    retries: int,
    backoff: float,
    ipv4: bool,
    ipv6: bool,
    method: str,
    port: list[str] | None,
    loop: bool,
    replies: bool | None,
    ping: str,
    spawner: str,
    icmp_socket: str,
    backend: str,
    clu: ClusterOptions,
    data: DataOptions,
) -> int:
    """Check the options, build the sweep and run it; the exit code (see ``scanner ping
    --help``)."""
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
    # the families the targets may need: a name's address may be of either
    families = {4, 6} if any(spec.version == 0 for spec in specs) else {s.version for s in specs}
    choice_made = _choose_method(
        method,
        icmp_socket,
        family=4 if ipv4 else 6 if ipv6 else 0,
        families=families,
        quiet=data.quiet,
    )
    chosen = choice_made.method
    cfg = SweepConfig(
        method=chosen,
        icmp_socket=icmp_socket,
        ping_families=choice_made.ping_families,
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
