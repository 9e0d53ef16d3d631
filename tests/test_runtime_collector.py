"""The garbage collector paused while a command starts (scanner.runtime.collector): paused
only by the process entry, resumed (with start-up's objects frozen) when the work starts on
either event loop, and never touched for a caller that did not pause it.

Every pause happens in a child interpreter: this one's collector stays as pytest set it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import pytest

from scanner.runtime import collector
from tests.cli_helpers import REPO


def _child(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_resume_without_a_pause_touches_nothing() -> None:
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    collector.resume()
    assert (gc.isenabled(), gc.get_freeze_count()) == (enabled, frozen)


def test_pause_then_resume_freezes_start_up_and_collects_again() -> None:
    done = _child(
        """
        import gc
        from scanner.runtime import collector

        collector.pause()
        print(gc.isenabled())
        collector.resume()
        print(gc.isenabled(), gc.get_freeze_count() > 0)
        gc.unfreeze()
        collector.resume()  # once only: nothing frozen again
        print(gc.get_freeze_count())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["False", "True True", "0"]


def test_a_collector_disabled_by_its_owner_stays_disabled() -> None:
    done = _child(
        """
        import gc
        from scanner.runtime import collector

        gc.disable()
        collector.pause()
        collector.resume()
        print(gc.isenabled(), gc.get_freeze_count())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False 0"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_event_loop_resumes_collecting_before_the_work(backend: str) -> None:
    done = _child(
        f"""
        import gc
        from scanner.runtime import collector
        from scanner.runtime.session import run_async

        async def body(session):
            return 0 if gc.isenabled() else 1

        collector.pause()
        print(run_async(body, backend={backend!r}))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_a_ping_sweep_runs_with_the_collector_on() -> None:
    # the whole entry: paused at the start, resumed by the sweep's event loop
    done = _child(
        """
        import gc, sys
        from scanner.net import engine

        sweep = engine.sweep

        async def watched(*args, **kwargs):
            sys.stderr.write(f"collecting: {gc.isenabled()}\\n")
            return await sweep(*args, **kwargs)

        engine.sweep = watched
        import scanner.net.jobs

        scanner.net.jobs.sweep = watched
        sys.argv = ["scanner", "ping", "-q", "127.0.0.1"]
        from scanner.entry import run

        run()
        """
    )
    assert done.returncode == 0, done.stderr
    assert "collecting: True" in done.stderr
