"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import signal

import pytest

# A shell starts background jobs (`cmd &` in a script, nohup, some CI runners) with SIGINT
# ignored, and an ignored signal stays ignored across exec: every CLI child the tests start
# would then shrug off the Ctrl-C the cancellation tests send. Give this process a real
# handler, so children start with the default disposition, as they do under a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """anyio's pytest plugin runs each ``@pytest.mark.anyio`` test once per backend."""
    return str(request.param)
