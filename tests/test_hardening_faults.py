"""Hardening: faults and load.

- The open-file limit (``prlimit --nofile=256``): a 4,096-host sweep with ``-j 1024`` and a deep
  and wide walk with ``-j 128`` complete, every host and entry accounted for (the sweep clamps
  its slots to the limit, and waits on EMFILE rather than failing a host).
- A ping that is killed, crashes, hangs, prints garbage or floods: each host gets a result with
  its cause and the sweep ends within its deadline. (Missing and non-executable pings, and the
  scripted fake-ping behaviours, are covered in tests/test_ping_sweep.py.)

Sweeps reach 127.0.0.0/8 only.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from scanner import exit_codes
from scanner.labs.fakeping import write_fake_ping
from scanner.net.config import SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.spawn import Completed, make_spawner
from scanner.net.targets import expand, parse_target_spec
from tests.cli_helpers import run_cli
from tests.fs_helpers import reference_count

LOW_NOFILE = ("prlimit", "--nofile=256")
needs_prlimit = pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit")


@needs_prlimit
@pytest.mark.skipif(shutil.which("ping") is None, reason="needs the system ping")
def test_4096_host_sweep_under_a_256_file_limit() -> None:
    # -j 1024 asks for 2,048 descriptors; the limit leaves room for ~96 children
    ran = run_cli(
        "ping", "-q", "--jsonl", "-j", "1024", "-t", "1", "127.3.0.0-127.3.15.255",
        prefix=LOW_NOFILE, timeout=120,
    )  # fmt: skip
    assert ran.code == exit_codes.OK, ran.err
    recs = [json.loads(line) for line in ran.out.splitlines()]
    summary = recs[-1]
    assert (summary["total"], summary["alive"], summary["error"]) == (4096, 4096, 0)
    assert b"Too many open files" not in ran.out


@needs_prlimit
def test_deep_and_wide_walk_under_a_256_file_limit(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    path = deep
    for i in range(300):  # deeper than the limit: a walk holding an fd per level would fail
        path = path / f"l{i}"
    path.mkdir(parents=True)
    (path / "bottom.txt").write_bytes(b"x")
    for i in range(1_000):  # wider than the limit: 128 workers at once
        (tmp_path / "wide" / f"d{i}").mkdir(parents=True)
        (tmp_path / "wide" / f"d{i}" / "f.txt").write_bytes(b"ab")
    ref = reference_count(tmp_path)
    ran = run_cli("scan", "--json", "-j", "128", str(tmp_path), prefix=LOW_NOFILE, timeout=120)
    assert ran.code == exit_codes.OK, ran.err
    summary = json.loads(ran.out)["summary"]
    assert (summary["files"], summary["dirs"], summary["bytes"], summary["errors"]) == (
        ref.files,
        ref.dirs,
        ref.bytes,
        0,
    )


class _ShortOfDescriptors:
    """A spawner whose first ``failures`` starts fail with EMFILE, as when something else
    in the process holds descriptors for a while."""

    name = "short-of-descriptors"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.inner = make_spawner("auto")

    async def run(
        self, argv: Sequence[str], *, env: Mapping[str, str], deadline: float
    ) -> Completed:
        if self.failures > 0:
            self.failures -= 1
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return await self.inner.run(argv, env=env, deadline=deadline)


@pytest.mark.anyio
async def test_emfile_at_spawn_waits_instead_of_failing_hosts(tmp_path: Path) -> None:
    fake = write_fake_ping(tmp_path)
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    tgts = list(expand([parse_target_spec("127.0.0.1-40")]))
    spawner = _ShortOfDescriptors(failures=60)
    cfg = SweepConfig(ping=str(fake), concurrency=8, deadline=5)
    await sweep(tgts, cfg, on_result, spawner=spawner)  # type: ignore[arg-type]
    assert spawner.failures == 0
    assert len(results) == 40
    assert {r.state for r in results} == {HostState.ALIVE}


BROKEN_PINGS = {
    "killed": ("kill -9 $$", "error", "ping killed by SIGKILL"),
    "crashes": ("kill -SEGV $$", "error", "ping killed by SIGSEGV"),
    "garbage": ("printf '\\001\\377 %%s\\n' \"$*\"; exit 0", "error", ""),
    "silent-failure": ("exit 2", "error", "not understood (exit status 2)"),
    # answers -V (detection waits 5 s for a silent one), then hangs: the deadline kills it
    "hangs": ('[ "$1" = -V ] && exit 0; exec sleep 600', "unreachable", "deadline"),
    "floods": ("exec yes 'PING flood'", "error", "runaway output"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_PINGS))
def test_a_broken_ping_gives_every_host_a_result_with_its_cause(tmp_path: Path, kind: str) -> None:
    body, state, cause = BROKEN_PINGS[kind]
    ping = tmp_path / "ping"
    ping.write_text(f"#!/bin/sh\n{body}\n")
    ping.chmod(0o755)
    # a flood meets the output cap (1 MiB, read as it comes and parsed once the child is
    # killed) well within the 1 s deadline, also under coverage; a hang meets the deadline
    ran = run_cli(
        "ping", "--ping", str(ping), "--jsonl", "-q", "--deadline", "1", "127.0.0.1-4",
        timeout=60,
    )  # fmt: skip
    assert ran.code == exit_codes.PARTIAL, ran.err
    assert "Traceback" not in ran.err
    recs = [json.loads(line) for line in ran.out.splitlines()]
    hosts = recs[:-1]
    assert sorted(h["target"] for h in hosts) == [f"127.0.0.{i}" for i in range(1, 5)]
    for host in hosts:
        assert host["state"] == state, host
        assert host["cause"] and cause in host["cause"], host
    assert recs[-1]["record"] == "summary"
