"""The typer-free path of the plainest walk, ext and check lines (scanner.cli.fast): the same
bytes on stdout, the same stderr and exit code as the typer app, and no typer imported."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import REPO

# the typer app on the same arguments, skipping the fast path
_TYPER = "import sys; from scanner.cli._app import run; sys.exit(run(sys.argv[1:]))"
_TIMES = re.compile(rb" in [0-9.]+ s \([0-9,.]+ entries/s\)")


def _run(argv: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    done = subprocess.run(argv, capture_output=True, cwd=cwd, env=env, timeout=60, check=False)
    return done.returncode, done.stdout, _TIMES.sub(b" in T", done.stderr)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fast")
    (root / "d" / "e").mkdir(parents=True)
    for i, name in enumerate(["a.txt", "b.py", "d/c.txt", "d/e/f.tar.gz", ".hidden", "d/noext"]):
        (root / name).write_text("x" * i)
    (root / "link").symlink_to("a.txt")
    return root


LINES = [
    ["walk"],
    ["walk", "d"],
    ["walk", "-0", "d", "a.txt"],
    ["walk", "-q", "--print0", "."],
    ["walk", "missing", "d"],
    ["walk", "--json", "--csv", "d"],
    ["walk", "-0", "--jsonl", "d"],
    ["ext", "."],
    ["ext", "-q", "d"],
    ["ext", "--csv", "--quiet", "."],
    ["ext", "missing"],
    ["check", "a.txt", "link", "missing", "d"],
    ["check", "--csv", "a.txt", "missing"],
    ["check", "--jsonl", "a.txt"],
    # what the fast path declines (filters, --sort) reaches the same bodies through typer
    ["walk", "-e", "txt", "--sort", "path", "--reverse", "."],
    ["walk", "--reverse", "d"],
    ["ext", "--size", "+1", "-q", "."],
]


@pytest.mark.parametrize("args", LINES, ids=" ".join)
def test_fast_path_prints_what_the_typer_app_prints(args: list[str], tree: Path) -> None:
    fast = _run([sys.executable, "-m", "scanner", *args], tree)
    slow = _run([sys.executable, "-c", _TYPER, *args], tree)
    assert fast == slow


def test_fast_path_runs_without_typer_and_declines_the_rest(tree: Path) -> None:
    from scanner.cli.fast import parse

    probe = (
        "import sys; from scanner.cli import main; code = main(sys.argv[1:]); "
        "sys.stderr.write('typer loaded: %s\\n' % ('typer' in sys.modules)); sys.exit(code)"
    )
    code, _, err = _run([sys.executable, "-c", probe, "walk", "-q", "d"], tree)
    assert code == 0 and b"typer loaded: False" in err
    assert parse(["walk", "d", "--json"]) == ("walk", ["d"], {"json": True})
    for declined in (
        ["walk", "-d", "1", "d"],  # an option with a value
        ["walk", "-e", "txt", "d"],  # the filters and --sort take values
        ["walk", "--sort", "size", "d"],
        ["walk", "--reverse", "d"],  # value-less, but the typer app's to check
        ["ext", "--gitignore", "."],
        ["du", "d"],
        ["walk", "--", "d"],
        ["walk", "--help"],
        ["ext", "-0", "d"],  # not an ext flag
        ["check"],  # FILE is required
        ["check", "-q", "a.txt"],
        ["scan", "d"],
        ["help", "walk"],
    ):
        assert parse(declined) is None, declined


def test_every_fast_flag_is_a_value_less_flag_of_the_typer_command() -> None:
    """The fast path's flag table cannot drift from the typer declarations (the option
    groups of scanner.cli._groups): each flag is the typer command's own, a flag that
    takes no value, and sets the parameter of the same name."""
    import typer

    from scanner.cli._app import build_app
    from scanner.cli.fast import _FLAGS

    for name, flags in _FLAGS.items():
        command = typer.main.get_group(build_app(name)).commands[name]
        params = {opt: param for param in command.params for opt in param.opts}
        for flag, keyword in flags.items():
            param = params.get(flag)
            assert param is not None and param.name == keyword, (name, flag)
            assert getattr(param, "is_flag", False), (name, flag)
