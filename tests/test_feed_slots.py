"""The feeding loop's bounds (``scanner.net.feed``): at most ``-j`` hosts probed at once,
and a host waiting out a retry's backoff holds no probe slot (as in the task-per-host
loop), while hosts in flight stay bounded. A scripted submitting probe: the test decides
when each attempt ends. Every async test runs on asyncio and trio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from scanner.net.config import ProbeMethod, SweepConfig
from scanner.net.engine import sweep
from scanner.net.model import HostResult, HostState
from scanner.net.replies import Request
from tests.test_ping_sweep import targets

pytestmark = pytest.mark.anyio


@dataclass(eq=False)
class Attempt:
    target: str
    address: str
    tag: object
    attempt: int
    started: float | None
    done: Callable[[Any, HostResult], None]

    def settled(self) -> list[Request]:
        return []

    def end(self, state: HostState) -> None:
        self.done(self, HostResult(self.target, self.address, state, attempts=self.attempt))


@dataclass
class ScriptedProbe:
    """Takes hosts and keeps them running until the test ends them; checks the bound."""

    slots: int
    running: list[Attempt] = field(default_factory=list)
    log: list[tuple[str, int]] = field(default_factory=list)
    changed: anyio.Event = field(default_factory=anyio.Event)

    def submit(  # noqa: PLR0917  (the protocol's positional form)
        self,
        target: str,
        address: str,
        done: Callable[[Any, HostResult], None],
        tag: object = None,
        attempt: int = 1,
        started: float | None = None,
        on_request: Callable[[Request], None] | None = None,
    ) -> Attempt:
        handle = Attempt(target, address, tag, attempt, started, done)
        self.running.append(handle)
        assert len(self.running) <= self.slots, "more hosts probed at once than -j"
        self.log.append((address, attempt))
        self.changed.set()
        return handle

    def crowded(self) -> bool:
        return False

    async def room(self) -> None:
        pass

    async def running_now(self, count: int) -> list[Attempt]:
        """Wait until ``count`` attempts run; take them."""
        while len(self.running) < count:
            self.changed = anyio.Event()
            await self.changed.wait()
        taken, self.running = self.running[:count], self.running[count:]
        return taken


async def test_a_host_backing_off_leaves_its_slot_to_the_next_host() -> None:
    # -j 2, one retry after 2 s: while the two silent hosts wait out their backoff, the
    # next two hosts are probed (before, they waited for the retries to end)
    cfg = SweepConfig(method=ProbeMethod.PING, concurrency=2, retries=1, backoff=2.0)
    probe = ScriptedProbe(slots=2)
    results: dict[str, HostResult] = {}

    async def on_result(result: HostResult) -> None:
        results[result.address or ""] = result

    async def script() -> None:
        for first in await probe.running_now(2):
            first.end(HostState.UNREACHABLE)
        # the next two hosts come in now, not after the 2 s backoff
        second = await probe.running_now(2)
        assert [h.address for h in second] == ["127.0.0.3", "127.0.0.4"]
        assert [a for a, _ in probe.log] == [f"127.0.0.{i}" for i in range(1, 5)]
        for host in second:
            host.end(HostState.ALIVE)
        # two slots free again, the retries still backing off: the fifth host now
        (fifth,) = await probe.running_now(1)
        assert (fifth.address, fifth.attempt) == ("127.0.0.5", 1)
        fifth.end(HostState.UNREACHABLE)
        # then the three retries, after their backoffs (which ends first is the event
        # loop's choice: they fall due within a few milliseconds), at most two at once
        states = {
            "127.0.0.1": HostState.ALIVE,
            "127.0.0.2": HostState.ALIVE,
            "127.0.0.5": HostState.UNREACHABLE,
        }
        retried: list[tuple[str, int]] = []
        while len(retried) < 3:
            (host,) = await probe.running_now(1)
            retried.append((host.address, host.attempt))
            host.end(states[host.address])
        assert sorted(retried) == [("127.0.0.1", 2), ("127.0.0.2", 2), ("127.0.0.5", 2)]

    async with anyio.create_task_group() as tg:
        tg.start_soon(script)
        with anyio.fail_after(30):
            await sweep(targets("127.0.0.1-5"), cfg, on_result, probe=probe)  # type: ignore[arg-type]
    assert {a: (r.state, r.attempts) for a, r in results.items()} == {
        "127.0.0.1": (HostState.ALIVE, 2),
        "127.0.0.2": (HostState.ALIVE, 2),
        "127.0.0.3": (HostState.ALIVE, 1),
        "127.0.0.4": (HostState.ALIVE, 1),
        "127.0.0.5": (HostState.UNREACHABLE, 2),
    }


async def test_hosts_backing_off_stay_bounded() -> None:
    # -j 1, every host silent, long backoffs: at most two hosts in flight (one probed, one
    # backing off), so memory stays bounded whatever the target count
    cfg = SweepConfig(method=ProbeMethod.PING, concurrency=1, retries=1, backoff=0.05)
    probe = ScriptedProbe(slots=1)
    results: list[HostResult] = []

    async def on_result(result: HostResult) -> None:
        results.append(result)

    async def script() -> None:
        for _ in range(12):  # six hosts, two attempts each
            (host,) = await probe.running_now(1)
            firsts = [a for a, n in probe.log if n == 1]
            seconds = [a for a, n in probe.log if n == 2]
            # hosts begun and not finished: never more than two
            assert len(firsts) - len(results) <= 2
            assert len(seconds) <= len(firsts)
            host.end(HostState.UNREACHABLE)

    async with anyio.create_task_group() as tg:
        tg.start_soon(script)
        with anyio.fail_after(30):
            await sweep(targets("127.0.0.1-6"), cfg, on_result, probe=probe)  # type: ignore[arg-type]
    assert sorted(r.address or "" for r in results) == [f"127.0.0.{i}" for i in range(1, 7)]
    assert all(r.attempts == 2 for r in results)
