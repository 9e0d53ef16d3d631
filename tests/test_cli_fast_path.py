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


PING_LINES = [
    ["ping", "127.0.0.1"],
    ["ping", "-q", "--yes", "-m", "icmp", "--rate", "100000", "127.0.0.0/20"],
    ["ping", "-c", "3", "-i", "20ms", "-t", "500ms", "--deadline", "90", "-j", "8", "-r", "2",
     "--backoff", "1s", "127.0.0.1", "::1"],
    ["ping", "-a", "--jsonl", "-f", "hosts.txt", "-f", "-", "-E", "127.0.0.5",
     "-E", "127.0.0.6,127.0.0.7", "--max-hosts", "10", "-c", "2", "-c", "4"],
    ["ping", "-u", "--csv", "-4", "-l", "--replies", "-m", "tcp", "-p", "22", "-p", "80,443",
     "--interval", "0.5", "--timeout", "2s", "127.0.0.1"],
    ["ping", "--json", "--quiet", "-6", "-y", "--count", "1", "::1"],
    ["ping", "--alive", "--unreachable", "127.0.0.1"],  # refused by run_ping, on both paths
    # values joined to their options, as click reads them
    ["ping", "-j64", "-c2", "--count=3", "--rate=500", "-mtcp", "-p22", "--port=80", "-t1s",
     "--file=hosts.txt", "127.0.0.1"],
]  # fmt: skip


def _typer_ping_keywords(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """What the typer command hands ``run_ping`` for ``args``."""
    from scanner.cli import _ping
    from scanner.cli._app import run

    got: dict[str, object] = {}

    def capture(targets: object, **kw: object) -> int:
        got.update(targets=targets, **kw)
        return 0

    monkeypatch.setattr(_ping, "run_ping", capture)
    assert run(args) == 0, args
    return got


def _groups_as_values(keywords: dict[str, object]) -> dict[str, object]:
    out = dict(keywords)
    for group in ("clu", "data"):
        value = out.pop(group)
        names = [k for k, v in vars(type(value)).items() if not k.startswith("_")
                 and not callable(v) and not isinstance(v, property)]  # fmt: skip
        out.update({f"{group}.{k}": getattr(value, k) for k in names})
    return out


@pytest.mark.parametrize("args", PING_LINES, ids=" ".join)
def test_ping_fast_path_hands_run_ping_what_typer_hands_it(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.cli._groups import ClusterOptions, DataOptions
    from scanner.cli.fast import parse_ping

    slow = _typer_ping_keywords(args, monkeypatch)
    fast = parse_ping(args)
    assert fast is not None, args
    data = DataOptions(**{k: fast.pop(k) for k in ("json", "jsonl", "csv", "quiet")})
    fast.update(clu=ClusterOptions(), data=data)
    assert _groups_as_values(fast) == _groups_as_values(slow)


def test_ping_fast_path_declines_what_typer_must_parse() -> None:
    from scanner.cli.fast import parse_ping

    for declined in (
        ["ping", "-c", "0", "127.0.0.1"],  # out of range: typer's error message
        ["ping", "-t", "500", "127.0.0.1"],  # a bare 500 s: typer's hint
        ["ping", "-t", "fast", "127.0.0.1"],
        ["ping", "--count=0", "127.0.0.1"],
        ["ping", "-c0", "127.0.0.1"],
        ["ping", "--json=yes", "127.0.0.1"],  # a flag takes no value: typer says so
        ["ping", "-qa", "127.0.0.1"],
        ["ping", "-au", "127.0.0.1"],
        ["ping", "--help"],
        ["ping", "-c"],
        ["ping", "--ping", "/bin/true", "127.0.0.1"],
        ["ping", "--cluster", "local:2", "127.0.0.1"],
        ["ping", "-o", "out.json", "127.0.0.1"],
        ["ping", "--no-replies", "127.0.0.1"],
        ["ping", "--", "127.0.0.1"],
        ["walk", "d"],
    ):
        assert parse_ping(declined) is None, declined


def test_ping_fast_path_runs_without_typer(tree: Path) -> None:
    probe = (
        "import sys; from scanner.cli import main; code = main(sys.argv[1:]); "
        "sys.stderr.write('typer loaded: %s\\n' % ('typer' in sys.modules)); sys.exit(code)"
    )
    args = ["ping", "-q", "-m", "tcp", "-p", "9", "127.0.0.1"]  # loopback, a closed port
    code, out, err = _run([sys.executable, "-c", probe, *args], tree)
    assert b"typer loaded: False" in err, err
    slow_code, slow_out, _ = _run([sys.executable, "-c", _TYPER, *args], tree)
    rtt = re.compile(rb"\([0-9.]+ ms\)")
    assert (code, rtt.sub(b"(T)", out)) == (slow_code, rtt.sub(b"(T)", slow_out))


def test_every_fast_ping_option_is_the_typer_command_s_own() -> None:
    """The ping fast path's tables cannot drift from the typer declarations: each flag is a
    value-less flag of ``scanner ping``, each value option takes one value (many when
    repeatable), and both set the parameter of the same name."""
    import typer

    from scanner.cli._app import build_app
    from scanner.cli.fast import _PING_FLAGS, _PING_VALUES

    command = typer.main.get_group(build_app("ping")).commands["ping"]
    params = {opt: param for param in command.params for opt in param.opts}
    for flag, keyword in _PING_FLAGS.items():
        param = params.get(flag)
        assert param is not None and param.name == keyword, flag
        assert getattr(param, "is_flag", False), flag
    for option, (keyword, kind) in _PING_VALUES.items():
        param = params.get(option)
        assert param is not None and param.name == keyword, option
        assert not getattr(param, "is_flag", False), option
        assert getattr(param, "multiple", False) == (kind == "list"), option
