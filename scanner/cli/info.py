"""``scanner info``: platform, interpreter, encodings, limits and the ping command line."""

from __future__ import annotations

from typing import Any

from scanner.cli._options import JsonOpt


def _ping_argv() -> list[str]:
    """The argv this machine's ping gets for one loopback ping (what a sweep runs per host)."""
    from scanner.net.ping_cmd import ping_argv

    return ping_argv("127.0.0.1")


def info_command(json: JsonOpt = False) -> None:
    """Show platform, OS, Python version and build, encodings, sys.path, CPUs, open-file
    limit and the ping command line this OS uses."""
    from rich.table import Table

    from scanner.output.console import stdout_console
    from scanner.output.formats import dumps_pretty
    from scanner.output.schema import document
    from scanner.system import platform_info

    facts = platform_info(ping_argv=_ping_argv())
    data: dict[str, Any] = facts.as_dict()
    if json:
        import sys

        sys.stdout.write(dumps_pretty(document("info", info=data)))
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in data.items():
        if key == "sys_path":
            continue
        if isinstance(value, list):
            value = " ".join(value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v or '-'}" for k, v in value.items())
        table.add_row(key.replace("_", " "), "-" if value in (None, "") else str(value))
    table.add_row("sys.path", "\n".join(facts.sys_path))
    stdout_console().print(table)
