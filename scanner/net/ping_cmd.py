"""The ``ping`` command line for each platform: which ping this is, and the argv it needs.

Pings disagree on almost every option, and the units differ silently, which is how
sweeps end up waiting 1000 seconds per host:

============  ===========  =====================  ===================  ==========  =========
flavor        count        per-reply timeout      whole-run deadline   interval    IPv6
============  ===========  =====================  ===================  ==========  =========
iputils       ``-c N``     ``-W s`` (fractions)   ``-w s`` (integer)   ``-i s``    ``-6``
BusyBox       ``-c N``     ``-W s`` (integer)     ``-w s`` (integer)   ``-i s``    ``-6``
inetutils     ``-c N``     ``-W s`` (integer)     ``-w s`` (integer)   ``-i s``    ``ping6``
FreeBSD       ``-c N``     ``-W ms``              ``-t s`` (integer)   ``-i s``    ``-6``
macOS         ``-c N``     ``-W ms``              ``-t s`` (integer)   ``-i s``    ``ping6``
NetBSD        ``-c N``     (none: ``-w`` bound)   ``-w s``             ``-i s``    ``ping6``
OpenBSD       ``-c N``     ``-w s`` (integer)     (none)               ``-i s``    ``-6``
Windows       ``-n N``     ``-w ms``              (none)               (none)      ``-6``
============  ===========  =====================  ===================  ==========  =========

Where a ping has no deadline option the sweep engine enforces it by killing the child.
Timeouts are rounded *up* where only integers are accepted (a 0.5 s timeout must not become
0, which several pings read as "wait forever" or reject). ``-n`` (numeric output, no reverse
lookups that would stall a sweep) is passed wherever it exists. The address is always the
last argv element and is validated first: it can never be read as an option.
"""

from __future__ import annotations

import enum
import functools
import math
import os
import platform
import select
import shutil
import socket
import subprocess
import time
from typing import Final

from scanner.net.targets import TargetError, parse_target_spec


class PingFlavor(enum.Enum):
    """Which ``ping`` implementation runs (its options and output format follow from it)."""

    IPUTILS = "iputils"  # Linux default (Debian, Fedora, Arch ...)
    BUSYBOX = "busybox"  # Alpine, embedded Linux
    INETUTILS = "inetutils"  # GNU inetutils ping, on some Linux systems
    BSD = "bsd"  # FreeBSD and DragonFly: -W in milliseconds, -t deadline
    NETBSD = "netbsd"  # -w deadline only
    OPENBSD = "openbsd"  # -w is the reply wait in seconds; no deadline
    MACOS = "macos"  # FreeBSD-derived options; IPv6 through ping6
    WINDOWS = "windows"  # ping.exe: -n count, -w milliseconds


_BY_SYSTEM: dict[str, PingFlavor] = {
    "darwin": PingFlavor.MACOS,
    "freebsd": PingFlavor.BSD,
    "dragonfly": PingFlavor.BSD,
    "netbsd": PingFlavor.NETBSD,
    "openbsd": PingFlavor.OPENBSD,
    "windows": PingFlavor.WINDOWS,
}


#: Flavors whose ``ping`` takes ``-6`` (the others need ``ping6``).
_DASH6 = frozenset({PingFlavor.IPUTILS, PingFlavor.BUSYBOX, PingFlavor.BSD, PingFlavor.OPENBSD})


def detect_flavor(system: str | None = None, ping_path: str | None = None) -> PingFlavor:
    """The flavor of ``ping`` on ``system`` (default: this one, ``platform.system()``).

    On Linux the binary decides: a ``ping`` that resolves to ``busybox`` is BusyBox,
    otherwise ``ping -V`` tells iputils from GNU inetutils (asked once, then cached).
    Unknown systems are assumed to have an iputils-compatible ping.
    """
    name = (system if system is not None else platform.system()).lower()
    if name.startswith(("cygwin", "msys", "mingw")):
        return PingFlavor.WINDOWS  # these environments run the system's ping.exe
    if name in _BY_SYSTEM:
        return _BY_SYSTEM[name]
    if name != "linux":
        return PingFlavor.IPUTILS
    return _linux_flavor(ping_path or "ping")


@functools.cache
def _linux_flavor(ping_path: str) -> PingFlavor:
    found = shutil.which(ping_path)
    if found is None:
        return PingFlavor.IPUTILS  # nothing to ask; the engine reports the missing binary
    if os.path.basename(os.path.realpath(found)).startswith("busybox"):
        return PingFlavor.BUSYBOX
    return _flavor_from_version(_version_text(found))


_VERSION_MAX: Final = 64 * 1024


def _version_text(path: str) -> str:
    # Read at most 64 KiB for at most 5 s: a broken or hostile --ping may print forever
    # (capture_output kept 5 s of `yes` in memory: a 5 GB peak).
    try:
        proc = subprocess.Popen(
            [path, "-V"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + 5
    with proc:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while size < _VERSION_MAX and (left := deadline - time.monotonic()) > 0:
            if not select.select([fd], [], [], left)[0]:
                break
            chunk = os.read(fd, _VERSION_MAX)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        proc.kill()  # a no-op when it has exited; the with block reaps it
    return b"".join(chunks)[:_VERSION_MAX].decode("utf-8", "replace")


def _flavor_from_version(text: str) -> PingFlavor:
    """Tell a Linux ping by what ``ping -V`` printed."""
    lowered = text.lower()
    if "busybox" in lowered:
        return PingFlavor.BUSYBOX
    if "inetutils" in lowered:
        return PingFlavor.INETUTILS
    return PingFlavor.IPUTILS


def _seconds(value: float) -> str:
    """Seconds with a fraction only when needed ("1", "0.5"), for pings that take them."""
    if value == int(value):
        return str(int(value))
    return f"{value:.3f}".rstrip("0")


def _whole_seconds(value: float) -> str:
    # rounded up: a 0.5 s timeout must not become 0 ("no timeout" or an error)
    return str(max(1, math.ceil(value)))


def _millis(value: float) -> str:
    return str(max(1, math.ceil(value * 1000)))


def _address_version(address: str) -> int:
    """Refuse anything that is not a single address or host name (never an option); the
    IP version of an address literal, 0 for a name."""
    if address.startswith(("-", "/")):  # "/" starts an option for Windows ping.exe
        raise TargetError(f"refusing to pass {address!r} to ping: it would be read as an option")
    # a sweep's addresses are plain literals: told apart by libc in a fraction of a full parse
    for family, version in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            socket.inet_pton(family, address)
        except OSError:
            continue
        return version
    spec = parse_target_spec(address)
    if spec.kind not in ("ip", "name"):
        raise TargetError(f"refusing to pass {address!r} to ping: not a single host")
    return spec.version


def _ping6_path(ping_path: str) -> str:
    # "/sbin/ping" -> "/sbin/ping6"; a custom binary (a fake ping) is kept as it is
    head, base = os.path.split(ping_path)
    return os.path.join(head, base + "6") if base == "ping" else ping_path


def _check_numbers(count: int, timeout_s: float, interval_s: float | None) -> None:
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if not timeout_s > 0:
        raise ValueError(f"timeout must be positive, not {timeout_s}")
    if interval_s is not None and not interval_s > 0:
        raise ValueError(f"interval must be positive, not {interval_s}")


def ping_argv(
    address: str,
    *,
    flavor: PingFlavor | None = None,
    count: int = 1,
    timeout_s: float = 1.0,
    interval_s: float | None = None,
    ipv6: bool = False,
    deadline_s: float | None = None,
    ping_path: str = "ping",
) -> list[str]:
    """The argv that pings ``address`` ``count`` times with this flavor's options.

    ``timeout_s`` is how long to wait for each reply, ``deadline_s`` how long the whole run
    may take (dropped where the ping has no such option: the caller must enforce it),
    ``interval_s`` the gap between requests (dropped on Windows, which has none). An
    address literal selects its own family; ``ipv6=True`` asks for IPv6 resolution of a
    name. Raises :class:`TargetError` for an
    address that is not a single valid host, ``ValueError`` for non-positive numbers.
    """
    version = _address_version(address)
    _check_numbers(count, timeout_s, interval_s)
    if flavor is None:
        flavor = detect_flavor(ping_path=ping_path)
    # an address literal decides the family; ``ipv6`` only matters for names
    v6 = version == 6 or (version == 0 and ipv6)
    n = str(count)
    args: list[str]
    if flavor is PingFlavor.WINDOWS:
        # ping.exe picks the family from the address; -4/-6 matter for names only
        args = [ping_path, "-n", n, "-w", _millis(timeout_s), "-6" if v6 else "-4"]
        return [*args, address]

    if flavor is PingFlavor.IPUTILS:
        args = [ping_path, "-n", "-c", n, "-W", _seconds(timeout_s)]
        deadline_flag = "-w"
    elif flavor is PingFlavor.BUSYBOX:
        # BusyBox has no -n (its output is numeric already) and only whole seconds
        args = [ping_path, "-c", n, "-W", _whole_seconds(timeout_s)]
        deadline_flag = "-w"
    elif flavor is PingFlavor.INETUTILS:
        args = [_ping6_path(ping_path) if v6 else ping_path, "-n", "-c", n]
        args += ["-W", _whole_seconds(timeout_s)]
        deadline_flag = "-w"
    elif flavor is PingFlavor.BSD:
        args = [ping_path, "-n", "-c", n, "-W", _millis(timeout_s)]
        deadline_flag = "-t"
    elif flavor is PingFlavor.MACOS:
        if v6:
            # macOS ping has no IPv6; its KAME ping6 has neither -W nor -t
            args = [_ping6_path(ping_path), "-n", "-c", n]
            deadline_flag = ""
        else:
            args = [ping_path, "-n", "-c", n, "-W", _millis(timeout_s)]
            deadline_flag = "-t"
    elif flavor is PingFlavor.NETBSD:
        # NetBSD's -w has meant "wait per reply" (1990s ping.8) and "deadline for the run"
        # (later releases); only -w is passed, with a value that bounds the run under
        # either reading: the deadline, or the requests plus one reply wait
        args = [_ping6_path(ping_path) if v6 else ping_path, "-n", "-c", n]
        if deadline_s is None and not v6:
            deadline_s = (count - 1) * (interval_s or 1.0) + timeout_s
        deadline_flag = "" if v6 else "-w"
    else:  # OpenBSD: -w is the wait for replies after the last request
        args = [ping_path, "-n", "-c", n, "-w", _whole_seconds(timeout_s)]
        deadline_flag = ""

    if interval_s is not None:
        args += ["-i", _seconds(interval_s)]
    if deadline_s is not None and deadline_flag:
        args += [deadline_flag, _whole_seconds(deadline_s)]
    if v6 and flavor in _DASH6:
        args.append("-6")
    return [*args, address]
