"""The README's tree-command examples (the ``sh`` block of its fs section) run as written:
each line through bash (``pipefail``) in a scratch directory, with this environment's
``scanner`` first on PATH; each exits 0 and prints no traceback.

.ci/smoke_plain.py runs every command and choice from a plain ``pip install .``; this runs
the examples themselves, on the Debian paths they name."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import REPO

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/usr/include") or shutil.which("bash") is None,
    reason="the examples walk /usr/include and run through bash",
)


def fs_examples() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("<!-- section:fs -->", 1)[1].split("<!-- /section:fs -->", 1)[0]
    blocks = re.findall(r"```sh\n(.+?)\n```", section, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_the_section_has_examples_of_every_new_option() -> None:
    text = "\n".join(fs_examples())
    for word in ("scanner du", "-e ", "-g ", "--regex", "--size", "--changed-within",
                 "--changed-before", "--sort", "--gitignore", "--disk-usage"):  # fmt: skip
        assert word in text, word


def test_every_example_runs(tmp_path: Path) -> None:
    scanner_dir = Path(sys.executable).parent
    assert (scanner_dir / "scanner").exists(), "the scanner command of this environment"
    env = {**os.environ, "PATH": f"{scanner_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for line in fs_examples():
        done = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=tmp_path, env=env,
                              capture_output=True, timeout=120, check=False)  # fmt: skip
        err = done.stderr.decode(errors="replace")
        assert done.returncode == 0 and "Traceback" not in err, f"{line}\n{err}"
