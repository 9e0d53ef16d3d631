"""What the TCP probe reports as a connect's RTT, against a bare ``socket.connect`` loop.

Run (serialised with the other benchmarks of the machine)::

    flock /tmp/scanner-bench.lock .venv/bin/python benchmarks/bench_tcp.py

One listener and one closed port on 127.0.0.1 (nothing else is ever connected to). Each
round, in a shuffled order, times ``--connects`` connects per contender and keeps the median:

* ``bare``: a blocking ``socket.connect`` in a plain Python loop, ``perf_counter`` around the
  connect call (the baseline: what the kernel and Python cost, nothing else);
* ``probe``: the RTTs ``scanner.net.probes.tcp.connect_once`` reports (the probe's own
  clock), on asyncio and on trio;
* ``anyio.connect_tcp``: ``perf_counter`` around ``anyio.connect_tcp``, what the probe
  measured before it timed the non-blocking connect itself (address parsing, a task group
  per connect, event-loop round trips).

The table shows the median of the round medians and its ratio to ``bare`` of the same port
state (open: a listener; closed: a refusal).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.net.probes.tcp import connect_once

HOST = "127.0.0.1"


#: Seconds between two connects (``--spacing``): 0 is a tight loop; ping's pace (``-i``)
#: leaves caches and the CPU clock colder, for the baseline and the probe alike.
SPACING = 0.0


def bare(port: int, n: int) -> list[float]:
    """Milliseconds of ``n`` blocking connects."""
    out = []
    for _ in range(n):
        time.sleep(SPACING)
        with socket.socket() as s:
            start = time.perf_counter()
            with contextlib.suppress(ConnectionRefusedError):
                s.connect((HOST, port))
            out.append((time.perf_counter() - start) * 1000.0)
    return out


def probe(backend: str) -> Callable[[int, int], list[float]]:
    """Milliseconds the probe reports for ``n`` connects."""

    def run(port: int, n: int) -> list[float]:
        async def main() -> list[float]:
            out = []
            for _ in range(n):
                await anyio.sleep(SPACING)
                got = await connect_once(HOST, port, 2.0)
                if got.rtt_ms is not None:
                    out.append(got.rtt_ms)
            return out

        return anyio.run(main, backend=backend)

    return run


def anyio_connect(port: int, n: int) -> list[float]:
    """Milliseconds around ``anyio.connect_tcp`` (the probe's former measurement)."""

    async def main() -> list[float]:
        out = []
        for _ in range(n):
            await anyio.sleep(SPACING)
            start = time.perf_counter()
            try:
                stream = await anyio.connect_tcp(HOST, port)
            except OSError:
                pass
            else:
                await stream.aclose()
            out.append((time.perf_counter() - start) * 1000.0)
        return out

    return anyio.run(main)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connects", type=int, default=300)
    parser.add_argument("--spacing", type=float, default=0.0, help="seconds between connects")
    args = parser.parse_args()
    global SPACING
    SPACING = args.spacing

    contenders: dict[str, Callable[[int, int], list[float]]] = {
        "bare socket.connect": bare,
        "probe (asyncio)": probe("asyncio"),
        "anyio.connect_tcp": anyio_connect,
    }
    try:
        import trio  # noqa: F401
    except ImportError:
        print("probe (trio) left out: trio is not installed")
    else:
        contenders["probe (trio)"] = probe("trio")

    with socket.socket() as server, socket.socket() as spare:
        server.bind((HOST, 0))
        server.listen(4096)
        spare.bind((HOST, 0))  # bound, never listening: connects are refused
        ports = {"open": server.getsockname()[1], "closed": spare.getsockname()[1]}
        medians: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            order = [(name, state) for name in contenders for state in ports]
            random.shuffle(order)
            for name, state in order:
                # the listener's backlog fills with connections nobody accepts: drain it
                server.setblocking(False)
                while True:
                    try:
                        server.accept()[0].close()
                    except BlockingIOError:
                        break
                times = contenders[name](ports[state], args.connects)
                medians.setdefault((name, state), []).append(statistics.median(times))

    print(
        f"{args.rounds} rounds x {args.connects} connects {args.spacing:g} s apart, 127.0.0.1, "
        "median of round medians"
    )
    print(f"{'contender':<22} {'state':<7} {'median ms':>10} {'min':>8} {'max':>8} {'x bare':>7}")
    for state in ports:
        base = statistics.median(medians[("bare socket.connect", state)])
        for name in contenders:
            got = medians[(name, state)]
            mid = statistics.median(got)
            print(
                f"{name:<22} {state:<7} {mid:>10.4f} {min(got):>8.4f} {max(got):>8.4f} "
                f"{mid / base:>7.2f}"
            )


if __name__ == "__main__":
    main()
