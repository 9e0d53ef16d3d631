"""A test hook that kills workers: how the fault tests make a worker die mid-task.

Read by every task function on the worker, from the environment variable
``SCANNER_CLUSTER_FAULT`` (inherited by the workers of an embedded cluster; set it in the
environment of ``dask worker`` otherwise). Unset, it costs one dictionary look-up per task.

* ``die-first:DIR`` — the worker dies (``os._exit``) on its *first* attempt at each task; the
  attempt is remembered as a marker file in ``DIR`` named after the task's content, created
  atomically, so the retry (on whichever worker) runs normally. ``die-first:DIR:N`` stops
  after N deaths.
* ``die-always:TEXT`` — the worker dies on every attempt at a task whose subjects (paths,
  archive names, targets) include one that ends with ``TEXT``: a task that keeps killing
  workers, which the client must split and finally report as error records. The stat of a
  walk's roots is spared, so that a root can be the poisoned directory.

Only tests set it; a task writes nothing otherwise.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Final

#: The environment variable the hook reads.
FAULT_ENV: Final = "SCANNER_CLUSTER_FAULT"
#: The exit status of a worker the hook killed (EX_SOFTWARE).
DIE_STATUS: Final = 70


def maybe_die(kind: str, subjects: Sequence[str]) -> None:
    """Kill this worker process if the hook says so for a task of ``kind`` on ``subjects``."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    mode, _, arg = spec.partition(":")
    if mode == "die-always":
        if arg and kind != "roots" and any(s.endswith(arg) for s in subjects):
            os._exit(DIE_STATUS)
        return
    if mode != "die-first" or not arg:
        return
    directory, _, limit = arg.partition(":")
    if limit and len(os.listdir(directory)) >= int(limit):
        return
    text = "\0".join([kind, *sorted(subjects)])
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    try:
        fd = os.open(os.path.join(directory, digest), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # a retry: run normally
    os.close(fd)
    os._exit(DIE_STATUS)
