"""The package's layers point down only: import-linter's contracts (pyproject.toml,
``[tool.importlinter]``) over every import statement, including those inside functions and
under ``TYPE_CHECKING``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli_helpers import REPO


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
