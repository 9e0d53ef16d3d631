"""A fake ``ping``: a POSIX sh script that prints exactly what iputils ping prints.

Tests and benchmarks run the real sweep engine and the real parser against it, with
behaviours chosen per address: alive after a modelled latency, unreachable (silence until
the timeout, or an ICMP "Destination Host Unreachable"), partial loss, garbage output, an
error exit, or a child that hangs forever and ignores SIGTERM (so only a kill at the deadline
ends it). It is sh, not Python, because a Python fake costs ~20 ms of interpreter start-up
per host and would measure that instead of the engine; the script uses shell builtins only,
plus ``sleep`` when there is a latency to wait.

Latency model: ``latency_ms + jitter_ms * (last address number % 16) / 15`` for the first
reply, deterministic per address; reply *i* adds ``(i-1) % 3`` tenths of that, so runs with
``-c`` > 1 have spread (and non-zero mdev) for the percentile code to chew on.

Behaviours are matched in order against the address with sh ``case`` patterns, so keys are
exact addresses or globs (``"127.0.0.*[13579]"``); the first match wins, else ``default``.

A node's capacity, for the multi-node lab: when ``SCANNER_FAKEPING_SLOTS=DIR:K`` is set in
the environment (:data:`SLOTS_ENV`, one ``DIR`` per simulated node), at most ``K`` fakes
answer at once per ``DIR``: each holds a ``flock`` on the slot its address hashes to
(``n % K``, n the address's last number) for its whole run, so one node sweeps at most
``K / latency`` hosts per second however high ``-j`` is, and adding nodes adds capacity.
"""

from __future__ import annotations

import enum
import os
import re
import stat
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Every fake's text contains this, so tests can find stray processes by their command line.
MARKER_PREFIX: Final = "scanner-fake-ping"
#: ``DIR:K``: at most K fakes answer at once per DIR (a node's capacity, see the docstring).
SLOTS_ENV: Final = "SCANNER_FAKEPING_SLOTS"


class Kind(enum.Enum):
    """What the fake does for an address."""

    ALIVE = "alive"  # every request answered after the modelled latency
    SILENT = "silent"  # no reply: waits the -W timeout, prints 100% loss, exits 1
    HOST_UNREACHABLE = "host-unreachable"  # "From ... Destination Host Unreachable", exit 1
    LOSS = "loss"  # every `every`-th request unanswered; exit 0 if any reply came
    GARBAGE = "garbage"  # output no parser understands, exit 0
    FAIL = "fail"  # "ping: ..." on stderr, exit 2 (as iputils does for a local error)
    HANG = "hang"  # never exits, ignores SIGTERM/SIGINT/SIGHUP: only SIGKILL ends it


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One scripted behaviour; ``latency_ms`` overrides the model for this pattern."""

    kind: Kind = Kind.ALIVE
    latency_ms: float | None = None
    every: int = 2  # LOSS: which requests go unanswered
    wait: bool = True  # SILENT: sleep the timeout like a real ping (False: answer at once)
    message: str = "sendmsg: Operation not permitted"  # FAIL: the stderr line


ALIVE: Final = Behaviour(Kind.ALIVE)
SILENT: Final = Behaviour(Kind.SILENT)
HANG: Final = Behaviour(Kind.HANG)
GARBAGE: Final = Behaviour(Kind.GARBAGE)
FAIL: Final = Behaviour(Kind.FAIL)
HOST_UNREACHABLE: Final = Behaviour(Kind.HOST_UNREACHABLE)

_PATTERN: Final = re.compile(r"[0-9A-Fa-f.:*?\[\]!%-]+\Z")
_MESSAGE: Final = re.compile(r"[A-Za-z0-9 .,:()_-]*\Z")


def _us(ms: float) -> int:
    return max(0, round(ms * 1000))


def _case_arm(pattern: str, b: Behaviour) -> str:
    if not _PATTERN.match(pattern):
        raise ValueError(f"unsafe fake-ping pattern {pattern!r}")
    if not _MESSAGE.match(b.message):
        raise ValueError(f"unsafe fake-ping message {b.message!r}")
    if b.every < 1:
        raise ValueError("every must be at least 1")
    parts = [f"mode={b.kind.value}", f"every={b.every}", f"wait={1 if b.wait else 0}"]
    if b.latency_ms is not None:
        parts.append(f"lat={_us(b.latency_ms)}")
    parts.append(f"msg='{b.message}'")
    return f"  {pattern}) {'; '.join(parts)} ;;"


# The script. Numbers are integers in microseconds (sh has no floats); printf formats them the
# way iputils does (time=0.042 ms under 1 ms, 2 decimals under 10 ms, 1 under 100, none above).
_SCRIPT: Final = r"""#!/bin/sh
# __MARKER__: a fake iputils ping written by scanner.labs.fakeping (do not edit)
count=1; timeout=1; interval=1; addr=
while [ $# -gt 0 ]; do
  case "$1" in
    -V) echo "ping from iputils 20221126 (__MARKER__)"; exit 0 ;;
    -c) count=$2; shift 2 ;;
    -W) timeout=$2; shift 2 ;;
    -i) interval=$2; shift 2 ;;
    -w|-s|-t|-I|-Q|-l|-p|-m|-M|-S) shift 2 ;;
    --) addr=$2; shift $# ;;
    -*) shift ;;
    *) addr=$1; shift ;;
  esac
done
if [ -z "$addr" ]; then
  echo "ping: usage error: Destination address required" >&2; exit 2
fi
__PIDLOG__
# Helpers set variables instead of printing into $(...): a command substitution forks a
# subshell, and a dozen forks per run made the fake cost more than the real ping.
us() { # decimal seconds -> microseconds, in $_us
  case "$1" in
    *.*) _i=${1%%.*}; _f=${1#*.}000000; _f=${_f%"${_f#??????}"} ;;
    *) _i=$1; _f=000000 ;;
  esac
  _us=$(( ${_i:-0} * 1000000 + 1$_f - 1000000 ))
}
pad() { # $2 zero-padded to $1 digits, in $_p
  _p=$2
  while [ ${#_p} -lt "$1" ]; do _p=0$_p; done
}
secs() { pad 6 $(( $1 % 1000000 )); _s=$(( $1 / 1000000 )).$_p; } # us -> "s.uuuuuu" in $_s
ms3() { pad 3 $(( $1 % 1000 )); _m=$(( $1 / 1000 )).$_p; } # us -> "m.uuu" in $_m
rtt() { # us -> iputils' time= text, in $_r
  if [ "$1" -ge 99950 ]; then _r=$(( ($1 + 500) / 1000 ))
  elif [ "$1" -ge 9995 ]; then _r=$(( ($1 + 50) / 1000 )).$(( ($1 + 50) % 1000 / 100 ))
  elif [ "$1" -ge 1000 ]; then pad 2 $(( ($1 + 5) % 1000 / 10 )); _r=$(( ($1 + 5) / 1000 )).$_p
  else ms3 "$1"; _r=$_m
  fi
}
last=${addr##*[.:]}
case "$last" in *[!0-9]*|'') n=0 ;; *) n=${last#"${last%%[!0]*}"}; n=${n:-0} ;; esac
mode=__DEFAULT_MODE__; every=2; wait=1; msg=; lat=$(( __LAT__ + __JIT__ * (n % 16) / 15 ))
case "$addr" in
__ARMS__
  *) ;;
esac
us "$timeout"; t_us=$_us; us "$interval"; i_us=$_us
# A node's capacity (the multi-node lab): with SCANNER_FAKEPING_SLOTS=DIR:K, at most K fakes
# answer at once per DIR (one DIR per node); the others wait for the slot their address
# hashes to, holding it until they exit.
case "${SCANNER_FAKEPING_SLOTS:-}" in
  *:*) exec 9>"${SCANNER_FAKEPING_SLOTS%:*}/slot$(( n % ${SCANNER_FAKEPING_SLOTS##*:} ))"
       flock 9 ;;
esac
case "$mode" in
  hang)
    trap '' TERM INT HUP
    while :; do sleep 3600; done ;;
  fail)
    echo "ping: $msg" >&2; exit 2 ;;
  garbage)
    printf 'PNIG %s ?? \001\002 garbled\nnothing to see here\n' "$addr"; exit 0 ;;
esac
case "$addr" in
  *:*) echo "PING $addr($addr) 56 data bytes" ;;
  *) echo "PING $addr ($addr) 56(84) bytes of data." ;;
esac
seq=1; rcv=0; errs=0; sum=0; sq=0; min=0; max=0
while [ "$seq" -le "$count" ]; do
  if [ "$seq" -gt 1 ]; then secs "$i_us"; sleep "$_s"; fi
  answer=0
  case "$mode" in
    alive) answer=1 ;;
    loss) [ $(( seq % every )) -ne 0 ] && answer=1 ;;
  esac
  if [ "$answer" = 1 ]; then
    t=$(( lat + lat * ((seq - 1) % 3) / 10 ))
    if [ "$t" -gt 0 ]; then secs "$t"; sleep "$_s"; fi
    rtt "$t"
    echo "64 bytes from $addr: icmp_seq=$seq ttl=64 time=$_r ms"
    rcv=$(( rcv + 1 )); sum=$(( sum + t )); sq=$(( sq + t * t ))
    if [ "$rcv" = 1 ] || [ "$t" -lt "$min" ]; then min=$t; fi
    if [ "$t" -gt "$max" ]; then max=$t; fi
  elif [ "$mode" = host-unreachable ]; then
    echo "From __GATEWAY__ icmp_seq=$seq Destination Host Unreachable"
    errs=$(( errs + 1 ))
  elif [ "$mode" = silent ] && [ "$wait" = 1 ] && [ "$seq" = "$count" ]; then
    secs "$t_us"; sleep "$_s"
  fi
  seq=$(( seq + 1 ))
done
echo
echo "--- $addr ping statistics ---"
lost=$(( (count - rcv) * 100000000 / count ))
pad 6 $(( lost % 1000000 ))
extra=
[ "$errs" -gt 0 ] && extra=", +$errs errors"
took=$(( (count - 1) * i_us / 1000 ))
# printf is a builtin: %g (iputils' format for the loss) without a fork
printf '%s packets transmitted, %s received%s, %g%% packet loss, time %sms\n' \
  "$count" "$rcv" "$extra" "$(( lost / 1000000 )).$_p" "$took"
if [ "$rcv" -gt 0 ]; then
  avg=$(( sum / rcv )); var=$(( sq / rcv - avg * avg )); md=0
  if [ "$var" -gt 0 ]; then # integer square root, Newton's method from above
    md=$var; nx=$(( (md + 1) / 2 ))
    while [ "$nx" -lt "$md" ]; do md=$nx; nx=$(( (md + var / md) / 2 )); done
  fi
  ms3 "$min"; a=$_m; ms3 "$avg"; b=$_m; ms3 "$max"; c=$_m; ms3 "$md"
  echo "rtt min/avg/max/mdev = $a/$b/$c/$_m ms"
  exit 0
fi
echo
exit 1
"""


def write_fake_ping(
    directory: str | os.PathLike[str],
    *,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    behaviours: Mapping[str, Behaviour] | None = None,
    default: Behaviour = ALIVE,
    pid_log: str | os.PathLike[str] | None = None,
    name: str = "ping",
    gateway: str = "198.18.0.1",
) -> Path:
    """Write an executable fake ``ping`` into ``directory`` and return its path.

    ``behaviours`` maps sh ``case`` patterns (exact addresses or globs) to behaviours, tried
    in order; ``default`` applies to every other address. ``pid_log``: each run appends its
    process id there (for tests that hunt for leftover processes). The script carries a
    unique marker (:attr:`Path.parent` name is not enough when several fakes share a
    directory): read it back with :func:`marker_of`.
    """
    if default.latency_ms is not None:
        latency_ms = default.latency_ms
    marker = f"{MARKER_PREFIX}-{uuid.uuid4().hex[:12]}"
    arms = "\n".join(_case_arm(p, b) for p, b in (behaviours or {}).items())
    pidlog = ""
    if pid_log is not None:
        log = os.fspath(pid_log)
        if "'" in log:
            raise ValueError("pid_log path cannot contain a quote")
        pidlog = f"echo $$ >> '{log}'"
    if not _PATTERN.match(gateway):
        raise ValueError(f"bad gateway address {gateway!r}")
    text = (
        _SCRIPT.replace("__MARKER__", marker)
        .replace("__PIDLOG__", pidlog)
        .replace("__DEFAULT_MODE__", default.kind.value)
        .replace("__LAT__", str(_us(latency_ms)))
        .replace("__JIT__", str(_us(jitter_ms)))
        .replace("__ARMS__", arms)
        .replace("__GATEWAY__", gateway)
    )
    if default.kind is Kind.LOSS or not default.wait:
        # the default arm's parameters are set through a catch-all pattern
        text = text.replace("  *) ;;\n", _case_arm("*", default) + "\n")
    path = Path(directory) / name
    tmp = path.with_name(f".{name}.{marker}.tmp")
    tmp.write_text(text)
    tmp.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    tmp.replace(path)
    return path


def marker_of(path: str | os.PathLike[str]) -> str:
    """The unique marker written into a fake ping (found in its processes' command lines
    only through the script path, so tests search for the path and this marker)."""
    for line in Path(path).read_text().splitlines()[:3]:
        found = re.search(rf"{MARKER_PREFIX}-[0-9a-f]+", line)
        if found:
            return found.group(0)
    raise ValueError(f"{path} is not a fake ping")
