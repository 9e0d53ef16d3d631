"""The README's quick start and .ci/run must agree."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest

from tests.cli_helpers import REPO


def _quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_exactly_two_commands() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "scanner scan ." in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _quick_start_commands()[1]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command in ci


def _examples_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "readme_examples", REPO / ".ci" / "readme_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_section_has_examples_that_ci_runs() -> None:
    """.ci/run runs every README example from a plain install; here: that they are found."""
    examples = _examples_module().example_commands((REPO / "README.md").read_text())
    commands = {e.split()[1] for e in examples if e.startswith("scanner ")}
    assert {"zip", "ping", "bench", "lab"} <= commands
    ci = (REPO / ".ci" / "run").read_text()
    assert "readme_examples.py .venv-plain" in ci


@pytest.mark.parametrize(
    "line",
    [
        "scanner ping 10.0.0.1",
        "scanner ping -E 127.0.0.8/29 192.168.1.0/24",
        "scanner ping 2001:db8::1",
        "scanner ping 8.8.8.8-20 # comment",
    ],
)
def test_an_example_off_loopback_is_refused(line: str) -> None:
    with pytest.raises(SystemExit, match="leaves loopback"):
        _examples_module().check_loopback_only(line)


def test_loopback_examples_pass_the_check() -> None:
    module = _examples_module()
    for line in ("scanner ping 127.0.0.1-20 ::1", "scanner ping -E 127.0.0.8/29 localhost"):
        module.check_loopback_only(line)
