"""``scanner ping`` end to end: real processes for exit codes and output, the whole run
in-process on asyncio and trio. Only 127.0.0.0/8 and ::1 are ever pinged here."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from scanner import exit_codes
from scanner.labs.fakeping import HANG, SILENT, Behaviour, Kind, write_fake_ping
from scanner.net.config import SweepConfig
from scanner.net.jobs import PingJob
from scanner.net.model import HOST_RECORD_FIELDS, HostState
from scanner.net.targets import expand, parse_target_spec
from scanner.net.views import NOT_ALIVE
from scanner.output.formats import Format
from scanner.runtime.command import Output, run_job
from scanner.runtime.session import Session
from tests.cli_helpers import REPO, drain_pty, run_cli
from tests.test_ping_sweep import assert_no_leftovers, read_pids

needs_ping = pytest.mark.skipif(shutil.which("ping") is None, reason="no system ping")


def records(out: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.decode().splitlines()]


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    # .1-.4 alive, .5 silent (down), .6 prints garbage
    return write_fake_ping(
        tmp_path,
        behaviours={
            "127.0.0.5": Behaviour(Kind.SILENT, wait=False),
            "127.0.0.6": Behaviour(Kind.GARBAGE),
        },
    )


@needs_ping
def test_real_ping_loopback_all_alive_exit_0() -> None:
    ran = run_cli("ping", "127.0.0.1-20")
    assert ran.code == exit_codes.OK, ran.err
    lines = ran.text.splitlines()
    assert len(lines) == 20
    assert {line.split()[0] for line in lines} == {f"127.0.0.{i}" for i in range(1, 21)}
    assert all(" is alive (" in line and line.endswith(" ms)") for line in lines)
    assert "scanner: 20 hosts: 20 alive, 0 unreachable in " in ran.err
    assert "hosts/s)" in ran.err


def test_some_unreachable_exit_1_and_lines_say_why(fake: Path) -> None:
    ran = run_cli("ping", "--ping", str(fake), "127.0.0.1-6")
    assert ran.code == exit_codes.PARTIAL, ran.err
    lines = sorted(ran.text.splitlines())
    assert lines[:4] == [f"127.0.0.{i} is alive (0.000 ms)" for i in range(1, 5)]
    assert lines[4] == "127.0.0.5 is unreachable (timeout)"
    assert lines[5].startswith("127.0.0.6 could not be pinged: error (ping output not understood")
    assert "6 hosts: 4 alive, 1 unreachable, 1 error in" in ran.err


def test_alive_and_unreachable_filters_print_bare_targets(fake: Path) -> None:
    ran = run_cli("ping", "--ping", str(fake), "-a", "127.0.0.1-6", "-q")
    assert sorted(ran.text.split()) == [f"127.0.0.{i}" for i in range(1, 5)]
    assert ran.code == exit_codes.PARTIAL
    assert ran.err == ""  # --quiet: no summary
    ran = run_cli("ping", "--ping", str(fake), "--unreachable", "127.0.0.1-6", "-q")
    assert sorted(ran.text.split()) == ["127.0.0.5", "127.0.0.6"]


def test_jsonl_records_are_stable_and_versioned(fake: Path) -> None:
    ran = run_cli("ping", "--ping", str(fake), "--jsonl", "-c", "2", "-i", "0.01", "127.0.0.4-5")
    assert ran.code == exit_codes.PARTIAL
    recs = records(ran.out)
    assert [r["record"] for r in recs] == ["host", "host", "summary"]
    hosts = {r["target"]: r for r in recs[:2]}
    assert list(hosts["127.0.0.4"]) == ["record", "schema_version", *HOST_RECORD_FIELDS]
    assert hosts["127.0.0.4"]["state"] == "alive"
    assert hosts["127.0.0.4"]["sent"] == 2
    assert hosts["127.0.0.4"]["p50_ms"] is not None
    assert hosts["127.0.0.5"] | {"elapsed_s": 0} == {
        "record": "host",
        "schema_version": 1,
        "target": "127.0.0.5",
        "address": "127.0.0.5",
        "state": "unreachable",
        "cause": "timeout",
        "port": None,
        "port_state": None,
        "sent": 2,
        "received": 0,
        "loss_pct": 100.0,
        "rtt_min_ms": None,
        "rtt_avg_ms": None,
        "rtt_max_ms": None,
        "rtt_mdev_ms": None,
        "p50_ms": None,
        "p90_ms": None,
        "p99_ms": None,
        "attempts": 1,
        "elapsed_s": 0,
    }
    summary = recs[2]
    assert (summary["total"], summary["alive"], summary["unreachable"]) == (2, 1, 1)
    assert summary["interrupted"] is False


def test_json_document_and_csv(fake: Path, tmp_path: Path) -> None:
    ran = run_cli("ping", "--ping", str(fake), "--json", "127.0.0.1-2")
    doc = json.loads(ran.out)
    assert (doc["schema"], doc["schema_version"], doc["command"]) == ("scanner", 1, "ping")
    assert sorted(h["target"] for h in doc["hosts"]) == ["127.0.0.1", "127.0.0.2"]
    assert doc["summary"]["alive"] == 2
    report = tmp_path / "sweep.csv"
    ran = run_cli("ping", "--ping", str(fake), "--csv", "-o", str(report), "127.0.0.1-3")
    assert ran.code == exit_codes.OK
    assert ran.out == b""
    rows = list(csv.DictReader(io.StringIO(report.read_text())))
    assert [r["state"] for r in rows] == ["alive"] * 3
    assert list(rows[0]) == list(HOST_RECORD_FIELDS)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sweep")] == []


def test_targets_from_files_stdin_and_exclusions(fake: Path, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("# lab hosts\n127.0.0.1-4  # a range\n\n127.0.0.9\n")
    ran = run_cli("ping", "--ping", str(fake), "-f", str(hosts), "-E", "127.0.0.2,127.0.0.3")
    assert ran.code == exit_codes.OK, ran.err
    assert sorted(line.split()[0] for line in ran.text.splitlines()) == [
        "127.0.0.1",
        "127.0.0.4",
        "127.0.0.9",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "ping", "--ping", str(fake), "-f", "-", "-a"],
        input=b"127.0.0.7\n127.0.0.8 # comment\n",
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == exit_codes.OK
    assert sorted(proc.stdout.split()) == [b"127.0.0.7", b"127.0.0.8"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "-u", "127.0.0.1"], "choose one of --alive, --unreachable"),
        (["-4", "-6", "127.0.0.1"], "choose one of -4, -6"),
        (["--", "-127.0.0.1"], "cannot start with '-'"),
        (["127.0.0.1;reboot"], "character ';' is not allowed"),
        (["127.0.0.0/8"], "16,777,214 hosts, more than --max-hosts 65,536; add --yes"),
        (["--max-hosts", "10", "127.0.0.0/24"], "254 hosts, more than --max-hosts 10"),
        (["--port", "80", "127.0.0.1"], "--port needs --method tcp"),
        (["-m", "udp", "127.0.0.1"], "--method must be auto, icmp, ping or tcp"),
        (["--rate", "200000", "127.0.0.1"], "at most 100,000 packets/s"),
        (["-m", "tcp", "-p", "80,0", "127.0.0.1"], "not a port number"),
        ([], "no targets"),
        (["-E", "127.0.0.1", "127.0.0.1"], "no targets left after --exclude"),
        (["-f", "/nonexistent/hosts"], "cannot read target file /nonexistent/hosts"),
        (["-c", "0", "127.0.0.1"], "Invalid value"),
        (["--rate", "0", "127.0.0.1"], "rate must be positive"),
        (["--json", "--csv", "127.0.0.1"], "choose one of --json, --jsonl, --csv"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_usage_errors_exit_3(args: list[str], message: str) -> None:
    ran = run_cli("ping", *args)
    assert ran.code == exit_codes.USAGE, (ran.code, ran.err)
    assert message in ran.err
    assert ran.out == b""


def test_bad_line_in_a_target_file_names_file_and_line(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("127.0.0.1\n\n$(reboot)\n")
    ran = run_cli("ping", "-f", str(hosts))
    assert ran.code == exit_codes.USAGE
    assert f"{hosts}:3: invalid target" in ran.err


def test_missing_ping_is_an_error_per_host_exit_1(tmp_path: Path) -> None:
    ran = run_cli("ping", "--ping", str(tmp_path / "nope"), "--jsonl", "127.0.0.1-2")
    assert ran.code == exit_codes.PARTIAL
    hosts = [r for r in records(ran.out) if r["record"] == "host"]
    assert [h["state"] for h in hosts] == ["error", "error"]
    assert all("No such file or directory" in h["cause"] for h in hosts)


def test_tcp_method_against_a_listener_and_a_closed_port() -> None:
    with socket.socket() as server, socket.socket() as spare:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        spare.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        ports = f"{server.getsockname()[1]},{spare.getsockname()[1]}"
        ran = run_cli("ping", "-m", "tcp", "-p", ports, "--jsonl", "127.0.0.1", "127.0.0.2")
    assert ran.code == exit_codes.OK, ran.err
    hosts = {r["target"]: r for r in records(ran.out) if r["record"] == "host"}
    assert hosts["127.0.0.1"]["state"] == "alive"  # accepted on the first port
    assert hosts["127.0.0.2"]["state"] == "alive"  # refused: the host answered
    assert hosts["127.0.0.2"]["port_state"] == "closed"


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare -n (CI runs as root)")
def test_unresolved_name_exit_2() -> None:
    # In a fresh network namespace no resolver is reachable, so the lookup fails at once and
    # no query leaves the machine.
    script = f"ip link set lo up && exec {sys.executable} -m scanner ping 127.0.0.1 nosuch.invalid"
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == exit_codes.UNRESOLVED, proc.stderr
    lines = sorted(proc.stdout.decode().splitlines())
    assert lines[0] == "127.0.0.1 is alive" or lines[0].startswith("127.0.0.1 is alive (")
    assert lines[1].startswith("nosuch.invalid is unresolved (")
    assert "1 unresolved" in proc.stderr.decode()


def _two_answer_eight_hang(tmp_path: Path) -> Path:
    """A fake ping for 127.0.0.1-10: .1 and .2 answer, the others hang (pids logged)."""
    return write_fake_ping(
        tmp_path,
        default=HANG,
        behaviours={"127.0.0.1": Behaviour(), "127.0.0.2": Behaviour()},
        pid_log=tmp_path / "pids",
    )


@pytest.mark.parametrize(
    ("fmt", "signum", "code"),
    [
        ("text", signal.SIGINT, exit_codes.INTERRUPTED),
        ("jsonl", signal.SIGINT, exit_codes.INTERRUPTED),
        ("text", signal.SIGTERM, exit_codes.TERMINATED),
    ],
)
def test_ctrl_c_kills_children_prints_what_finished_exit_130(
    tmp_path: Path, fmt: str, signum: signal.Signals, code: int
) -> None:
    fake = _two_answer_eight_hang(tmp_path)
    args = ["--jsonl"] if fmt == "jsonl" else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "ping", "--ping", str(fake), *args, "127.0.0.1-10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = [proc.stdout.readline(), proc.stdout.readline()]
    # all ten children are running (the two alive ones have already finished)
    anyio.run(_wait_for_pids, tmp_path / "pids", 10)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    if fmt == "text":
        assert sorted(b"".join(first).decode().splitlines()) == [
            "127.0.0.1 is alive (0.000 ms)",
            "127.0.0.2 is alive (0.000 ms)",
        ]
        assert out == b""
    else:
        recs = records(b"".join(first) + out)
        assert sorted(r["target"] for r in recs[:2]) == ["127.0.0.1", "127.0.0.2"]
        assert recs[2]["record"] == "summary"
        assert recs[2]["interrupted"] is True
        assert len(recs) == 3
    assert "interrupted after 2 hosts: 2 alive" in err.decode()
    assert_no_leftovers(fake, tmp_path / "pids")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_delivered_twice_at_once_is_one_interruption(
    tmp_path: Path, signum: signal.Signals
) -> None:
    # `timeout`, and supervisors that signal a process and then its process group, deliver
    # a SIGTERM twice within microseconds: that is one request to stop, and the run writes
    # what it finished and its interrupted summary as after one Ctrl-C (the copy used to be
    # taken for a second signal: "interrupted again, exiting now", no summary line)
    fake = _two_answer_eight_hang(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "ping", "--ping", str(fake), "127.0.0.1-10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        start_new_session=True,  # its own process group, as under `timeout`
    )
    assert proc.stdout is not None
    first = [proc.stdout.readline(), proc.stdout.readline()]
    anyio.run(_wait_for_pids, tmp_path / "pids", 10)
    os.kill(proc.pid, signum)
    time.sleep(0.002)  # a copy the event loop reads on its own (back to back, they merge)
    os.killpg(proc.pid, signum)
    out, err = proc.communicate(timeout=30)
    # -signum: the copy came while the interpreter was finalising, after the summary (its
    # handlers are gone then: a shell reports that as 128+N too)
    assert proc.returncode in (128 + signum, -signum), err
    assert sorted(b"".join(first).decode().splitlines()) == [
        "127.0.0.1 is alive (0.000 ms)",
        "127.0.0.2 is alive (0.000 ms)",
    ]
    assert out == b""
    assert "interrupted again" not in err.decode()
    assert "interrupted after 2 hosts: 2 alive" in err.decode()
    assert_no_leftovers(fake, tmp_path / "pids")


async def _wait_for_pids(log: Path, n: int) -> None:
    with anyio.fail_after(20):
        while len(read_pids(log)) < n:
            await anyio.sleep(0.02)


# --- the whole run in-process, on asyncio and trio --------------------------------------


async def _lookup(host: str, family: int) -> list[str]:
    if host == "loop.test":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("specs", "code"),
    [
        (["127.0.0.1-3", "loop.test"], exit_codes.OK),
        (["127.0.0.1-3", "127.0.0.5"], exit_codes.PARTIAL),
        (["127.0.0.1", "127.0.0.5", "nope.test"], exit_codes.UNRESOLVED),
    ],
)
async def test_run_exit_codes_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], specs: list[str], code: int
) -> None:
    fake = write_fake_ping(tmp_path, behaviours={"127.0.0.5": Behaviour(Kind.SILENT, wait=False)})
    job = PingJob(
        expand([parse_target_spec(s) for s in specs]), SweepConfig(ping=str(fake)), lookup=_lookup
    )
    assert await run_job(job, Output(Format.JSONL, quiet=True), Session()) == code
    recs = records(capsys.readouterr().out.encode())
    assert len(recs) == len(specs) + (2 if "127.0.0.1-3" in specs else 0) + 1
    assert recs[-1]["record"] == "summary"


@pytest.mark.anyio
async def test_run_cancelled_kills_children_and_closes_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = write_fake_ping(
        tmp_path, default=HANG, behaviours={"127.0.0.1": Behaviour()}, pid_log=tmp_path / "p"
    )
    session = Session()
    seen = ""
    async with anyio.create_task_group() as tg:

        async def run() -> None:
            job = PingJob(expand([parse_target_spec("127.0.0.1-5")]), SweepConfig(ping=str(fake)))
            code = await run_job(job, Output(Format.JSONL, quiet=True), session)
            assert code == exit_codes.INTERRUPTED
            assert job.sweep_summary.total == 1

        tg.start_soon(run)
        await _wait_for_pids(tmp_path / "p", 5)
        with anyio.fail_after(10):
            while '"target":"127.0.0.1"' not in seen:
                seen += capsys.readouterr().out
                await anyio.sleep(0.01)
        session.work_scope.cancel()
    recs = records((seen + capsys.readouterr().out).encode())
    assert [r["record"] for r in recs] == ["host", "summary"]
    assert recs[1]["interrupted"] is True
    assert_no_leftovers(fake, tmp_path / "p")


@pytest.mark.anyio
async def test_run_unreachable_filter_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = write_fake_ping(tmp_path, behaviours={"127.0.0.2": SILENT})
    job = PingJob(
        expand([parse_target_spec("127.0.0.1-3")]),
        SweepConfig(ping=str(fake), timeout=0.05),
        only=NOT_ALIVE,
    )
    await run_job(job, Output(Format.TEXT, quiet=True), Session())
    assert capsys.readouterr().out == "127.0.0.2\n"
    assert HostState.UNREACHABLE in NOT_ALIVE


@pytest.mark.parametrize("to_file", [True, False])
def test_progress_on_a_terminal_only_when_results_go_to_a_file(
    fake: Path, tmp_path: Path, to_file: bool
) -> None:
    """A streamed listing shows progress only when its data goes to a file: a pipe's reader
    (``| head``, ``| grep``) may print to this very terminal, and the line would tear it."""
    master, slave = os.openpty()
    out_path = tmp_path / "out.txt"
    try:
        with out_path.open("wb") as out_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "scanner", "ping", "--ping", str(fake), "-a", "127.0.0.1-3"],
                stdout=out_file if to_file else subprocess.PIPE,
                stderr=slave,
                cwd=REPO,
                env={**os.environ, "COLUMNS": "120"},
            )
            piped, _ = proc.communicate(timeout=60)
        out = out_path.read_bytes() if to_file else piped
        os.close(slave)
        slave = -1
        seen = drain_pty(master)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert proc.returncode == exit_codes.OK
    assert sorted(out.split()) == [b"127.0.0.1", b"127.0.0.2", b"127.0.0.3"]
    text = seen.decode(errors="replace")
    progress = " alive, 0 unreachable, 0 unresolved, 0 errors"
    assert (progress in text) is to_file
    assert "scanner: 3 hosts: 3 alive, 0 unreachable in" in text


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_reader_going_away_stops_the_sweep_quietly(tmp_path: Path, backend: str) -> None:
    # 200 hosts, 2 at a time, 0.2 s each: 20 s if nobody stopped it
    fake = write_fake_ping(tmp_path, latency_ms=200, pid_log=tmp_path / "p")
    argv = [sys.executable, "-m", "scanner", "ping", "--ping", str(fake), "--backend", backend]
    proc = subprocess.Popen(
        [*argv, "-j", "2", "127.0.0.1-200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().endswith(b" is alive (200.000 ms)\n")
    proc.stdout.close()  # like `| head -1` exiting
    assert proc.wait(timeout=10) == exit_codes.OK
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert "Traceback" not in err
    assert len(read_pids(tmp_path / "p")) < 20
    assert_no_leftovers(fake, tmp_path / "p")
