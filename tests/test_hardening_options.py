"""Hardening: nonsensical option values are usage errors (exit 3) on every command, before any
work starts, with a one-line message and no traceback.

Cases already asserted elsewhere (walk --max-depth -1, ext --workers 0, zip -j 0, ping -c 0,
ping --rate 0, bench walk -j 0, the slowfs latency parser) are not repeated here.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from scanner import exit_codes
from tests.cli_helpers import run_cli

LOOP = "127.0.0.1"

CASES: list[tuple[list[str], str]] = [
    # tree commands: concurrency, depth, ranks
    (["walk", "-j", "0", "."], "--workers"),
    (["scan", "--workers", "-1", "."], "--workers"),
    (["ext", "--max-depth", "-1", "."], "--max-depth"),
    (["scan", "-d", "-5", "."], "--max-depth"),
    (["ext", "--top", "0", "."], "--top"),
    (["scan", "--top", "-1", "."], "--top"),
    (["scan", "--largest", "-1", "."], "--largest"),
    (["scan", "--errors", "-1", "."], "--errors"),
    (["ext", "--sort", "bogus", "."], "--sort"),
    (["walk", "--type", "x", "."], "--type"),
    (["walk", "-0", "--jsonl", "."], "-0"),
    (["walk", "--json", "--csv", "."], ""),
    # zip: thresholds and the per-archive deadline
    (["zip", "--workers", "-3", "."], "--workers"),
    (["zip", "--deadline", "0", "."], "--deadline"),
    (["zip", "--deadline", "-1", "."], "--deadline"),
    (["zip", "--deadline", "nan", "."], "--deadline"),
    (["zip", "--fail-on", "bogus", "."], "--fail-on"),
    (["zip", "--max-depth", "-1", "."], "--max-depth"),
    (["zip", "--max-depth", "17", "."], "--max-depth"),
    (["zip", "--max-ratio", "0", "."], "--max-ratio"),
    (["zip", "--max-ratio", "nan", "."], "--max-ratio"),
    (["zip", "--max-size", "-1", "."], "--max-size"),
    (["zip", "--max-members", "-1", "."], "--max-members"),
    (["zip", "--list", "--findings", "."], "--list"),
    # ping: times (negative, zero, nan and inf: inf was an OverflowError traceback)
    (["ping", "-j", "0", LOOP], "--jobs"),
    (["ping", "-t", "-1", LOOP], "timeout"),
    (["ping", "-t", "0", LOOP], "timeout"),
    (["ping", "-t", "nan", LOOP], "timeout"),
    (["ping", "-t", "inf", LOOP], "timeout"),
    (["ping", "-c", "2", "-i", "inf", LOOP], "interval"),
    (["ping", "-i", "-1", LOOP], "interval"),
    (["ping", "--deadline", "-1", LOOP], "deadline"),
    (["ping", "--deadline", "inf", LOOP], "deadline"),
    (["ping", "--rate", "-5", LOOP], "rate"),
    (["ping", "--rate", "nan", LOOP], "rate"),
    (["ping", "-r", "-1", LOOP], "--retries"),
    (["ping", "--backoff", "-1", LOOP], "backoff"),
    (["ping", "--backoff", "nan", LOOP], "backoff"),
    (["ping", "--max-hosts", "0", LOOP], "--max-hosts"),
    (["ping", "-m", "tcp", "-p", "0", LOOP], "--port"),
    (["ping", "-m", "tcp", "-p", "70000", LOOP], "--port"),
    (["ping", "-m", "tcp", "-p", "22;id", LOOP], "--port"),
    (["ping", "-p", "22", LOOP], "--port"),
    (["ping", "-m", "udp", LOOP], "--method"),
    (["ping", "-4", "-6", LOOP], "-4"),
    (["ping", "-a", "-u", LOOP], "--alive"),
    (["ping", "--spawner", "bogus", LOOP], "spawner"),
    # bench: counts and times (a bad --timeout was exit 4 "worker failed")
    (["bench", "walk", ".", "-j", "-1"], "--concurrency"),
    (["bench", "walk", ".", "-j", "x"], "--concurrency"),
    (["bench", "walk", ".", "--runs", "0"], "--runs"),
    (["bench", "zip", ".", "--warmup", "0"], "--warmup"),
    (["bench", "walk", ".", "--quick", "--rigorous"], "--quick"),
    (["bench", "walk", ".", "--variant", "bogus"], "bogus"),
    (["bench", "lab", "walk", "--sizes", "0"], "--sizes"),
    (["bench", "lab", "ping-fake", "--hosts", "-5"], "--hosts"),
    (["bench", "ping", LOOP, "--count", "0"], "--count"),
    (["bench", "ping", LOOP, "--timeout", "-1"], "timeout"),
    (["bench", "ping", LOOP, "--timeout", "nan"], "timeout"),
    (["bench", "ping", LOOP, "--timeout", "inf"], "timeout"),
]


def _problem(args: list[str], mention: str) -> str | None:
    """What is wrong with one rejected run, or None."""
    ran = run_cli(*args, timeout=60)
    if ran.code != exit_codes.USAGE:
        return f"exit {ran.code}: {ran.err.strip()[-300:]}"
    if ran.out or "Traceback" in ran.err or mention not in ran.err:
        return f"stdout {ran.out[:80]!r}, stderr {ran.err.strip()[-300:]!r}"
    return None


def test_nonsensical_option_values_are_usage_errors() -> None:
    """Exit 3, nothing on stdout, a message naming the option, never a traceback.

    The ~60 runs are independent processes: run side by side (4 at a time) they take a
    third of the time, and every failing case is listed at once."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = list(pool.map(lambda case: _problem(*case), CASES))
    failed = {" ".join(a): p for (a, _), p in zip(CASES, problems, strict=True) if p}
    assert failed == {}
