"""Where the ICMP prober's time goes on loopback: ``sendto`` inline or in a worker thread.

On loopback the kernel answers an echo request inside ``sendto`` (~10 us each), so handing
the sendto loop to a thread looks like a way to use the second core while the event loop
reads replies. This measures why it is not: the thread needs the GIL back after every
``sendto``, and a main thread that runs Python keeps it (Python hands it over after
``sys.getswitchinterval()`` only). Three ways to send the same 4,094 echo requests from one
raw socket (127.0.0.0/20, loopback only), each then drained by ``recvmsg``:

- ``inline``: the sendto loop in the main thread (what the prober does);
- ``thread, main idle``: the loop in a thread while the main thread waits in ``join``;
- ``thread, main busy``: the loop in a thread while the main thread runs Python (what the
  event loop would do meanwhile: read replies, finish hosts); the first 256 requests only
  (each waits out a switch interval: the 4,094 take ~20 s);
- ``inline, TX stamps``: inline, on a socket that asks the kernel for each request's send
  time (``SO_TIMESTAMPING``: software TX stamps with ``OPT_ID``, what a batch sent in one
  ``sendmmsg`` would need for its RTTs), and the time to read those stamps back from the
  error queue with ``recvmsg``;
- ``sendmmsg in a thread, main busy``: the same requests in calls of 256 to ``sendmmsg``
  (through ctypes, which lets the GIL go for the whole call) from a thread while the main
  thread runs Python: the kernel's work on the other core, one GIL hand-off a batch. The
  headers are built before the clock starts (their cost is printed apart).

Run as root (a raw ICMP socket)::

    flock /tmp/scanner-bench.lock .venv/bin/python -m benchmarks.bench_icmp_sendto
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import os
import select
import socket
import statistics
import struct
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.net.icmp.family import _install_filter
from scanner.net.icmp.packet import echo_builder

HOSTS = [(f"127.0.{i >> 8}.{i & 255}", 0) for i in range(1, 4095)]  # 127.0.0.0/20


#: SO_TIMESTAMPING and its flags (linux/net_tstamp.h): software TX stamps, reported
#: (software), numbered per send (OPT_ID), without the packet (OPT_TSONLY).
_SO_TIMESTAMPING = 37
_TX_STAMPS = (1 << 1) | (1 << 4) | (1 << 7) | (1 << 11)


def _socket(tx_stamps: bool = False) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    if tx_stamps:
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPING, _TX_STAMPS)
    _install_filter(sock, 4)  # only replies: our own requests are not read back
    sock.setblocking(False)
    return sock


def _drain(sock: socket.socket) -> int:
    got = 0
    while True:
        try:
            sock.recvmsg(2048, 64)
        except BlockingIOError:
            return got
        got += 1


def _read_stamps(sock: socket.socket) -> int:
    got = 0
    while True:
        try:
            sock.recvmsg(64, 512, socket.MSG_ERRQUEUE)
        except BlockingIOError:
            return got
        got += 1


def _busy(until: threading.Thread) -> None:
    spin = 0
    while until.is_alive():
        for i in range(1000):
            spin += i


#: Requests each way sends.
SENT = {
    "inline": len(HOSTS),
    "thread, main idle": len(HOSTS),
    "thread, main busy": 256,
    "inline, TX stamps": len(HOSTS),
    "sendmmsg in a thread, main busy": len(HOSTS),
}

#: struct mmsghdr (x86-64 Linux): msghdr's name, namelen, iov, iovlen, control,
#: controllen, flags, then msg_len; struct iovec; struct sockaddr_in.
_MMSGHDR = struct.Struct("@PI4xPQPQi4xI4x")
_IOVEC = struct.Struct("@PQ")
_SOCKADDR_IN = struct.Struct("=HH4s8x")
_MMSG_BATCH = 256
_libc = ctypes.CDLL(None, use_errno=True)
#: One sendmmsg vector, and the buffers it points into (kept alive with it).
Batch = tuple["ctypes.Array[ctypes.c_char]", int, tuple[object, ...]]


def _mmsg_batches(packets: list[bytes], hosts: list[tuple[str, int]]) -> list[Batch]:
    """``sendmmsg`` vectors of up to :data:`_MMSG_BATCH` requests."""
    batches: list[Batch] = []
    for at in range(0, len(packets), _MMSG_BATCH):
        chunk = packets[at : at + _MMSG_BATCH]
        count = len(chunk)
        data = ctypes.create_string_buffer(b"".join(chunk))
        names = ctypes.create_string_buffer(_SOCKADDR_IN.size * count)
        iovs = ctypes.create_string_buffer(_IOVEC.size * count)
        msgs = ctypes.create_string_buffer(_MMSGHDR.size * count)
        base, name0, iov0 = ctypes.addressof(data), ctypes.addressof(names), ctypes.addressof(iovs)
        offset = 0
        for i, packet in enumerate(chunk):
            address = socket.inet_aton(hosts[at + i][0])
            _SOCKADDR_IN.pack_into(names, i * _SOCKADDR_IN.size, socket.AF_INET, 0, address)
            _IOVEC.pack_into(iovs, i * _IOVEC.size, base + offset, len(packet))
            offset += len(packet)
            name, iov = name0 + i * _SOCKADDR_IN.size, iov0 + i * _IOVEC.size
            _MMSGHDR.pack_into(msgs, i * _MMSGHDR.size, name, _SOCKADDR_IN.size, iov, 1, 0, 0, 0, 0)
        batches.append((msgs, count, (data, names, iovs)))
    return batches


def _send_mmsg(sock: socket.socket, batches: list[Batch]) -> None:
    for msgs, count, _ in batches:
        done = 0
        while done < count:
            got = _libc.sendmmsg(sock.fileno(), ctypes.byref(msgs, done * _MMSGHDR.size),
                                 count - done, 0)  # fmt: skip
            if got < 0:
                if ctypes.get_errno() not in (errno.EAGAIN, errno.ENOBUFS):
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
                select.select((), (sock,), (), 0.001)
                continue
            done += got


#: Seconds spent building sendmmsg vectors, a round each.
PREPARED: list[float] = []


def one_round(sock: socket.socket, way: str) -> tuple[float, int]:
    """Seconds to send ``SENT[way]`` requests one way, and the replies read back."""
    build = echo_builder(4, os.getpid() & 0xFFFF, os.urandom(8))
    hosts = HOSTS[: SENT[way]]
    packets = [build(i, time.time_ns()) for i in range(len(hosts))]

    def send() -> None:
        for packet, host in zip(packets, hosts, strict=True):
            sock.sendto(packet, host)

    if way.startswith("sendmmsg"):
        start = time.perf_counter()
        batches = _mmsg_batches(packets, hosts)
        PREPARED.append(time.perf_counter() - start)
        send = lambda: _send_mmsg(sock, batches)  # noqa: E731
    start = time.perf_counter()
    if way.startswith("inline"):
        send()
    else:
        worker = threading.Thread(target=send)
        worker.start()
        if way.endswith("main busy"):
            _busy(worker)
        worker.join()
    took = time.perf_counter() - start
    return took, _drain(sock)


def main(argv: Sequence[str] | None = None) -> int:
    """Print a Markdown table: medians over ``--rounds`` of each way."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    ways = tuple(SENT)
    times: dict[str, list[float]] = {way: [] for way in ways}
    reads: list[float] = []
    with _socket() as sock, _socket(tx_stamps=True) as stamped:
        for _ in range(args.rounds):
            for way in ways:
                used, other = (stamped, sock) if "TX" in way else (sock, stamped)
                took, replies = one_round(used, way)
                _drain(other)  # a raw socket reads every echo reply of the host: ours too
                if replies != SENT[way]:
                    print(f"warning: {way}: {replies} replies of {SENT[way]}", file=sys.stderr)
                times[way].append(took)
            start = time.perf_counter()
            stamps = _read_stamps(stamped)
            reads.append((time.perf_counter() - start) / max(1, stamps))
    print(f"rounds: {args.rounds}, python {sys.version.split()[0]}, switch interval "
          f"{sys.getswitchinterval() * 1e3:g} ms, load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print("| loopback echo requests (127.0.0.0/20) | sent | median ms | min ms | us a sendto |")
    print("|---|---:|---:|---:|---:|")
    for way in ways:
        median = statistics.median(times[way])
        print(f"| {way} | {SENT[way]:,} | {median * 1e3:.1f} | {min(times[way]) * 1e3:.1f} | "
              f"{median * 1e6 / SENT[way]:.1f} |")  # fmt: skip
    print(f"\nreading a TX stamp back (recvmsg, MSG_ERRQUEUE): median "
          f"{statistics.median(reads) * 1e6:.1f} us a stamp; building the sendmmsg vectors "
          f"of {len(HOSTS):,} requests: {statistics.median(PREPARED) * 1e3:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
