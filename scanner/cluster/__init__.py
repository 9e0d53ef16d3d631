"""Past one machine: the engines' work units on a Dask cluster, and on all local cores.

```python
from scanner.cluster import ClusterSpec, open_cluster, walk_on_cluster
from scanner.fs import WalkConfig

with open_cluster(ClusterSpec.parse("local:2")) as cluster:
    report = anyio.run(walk_on_cluster, cluster, WalkConfig(roots=("/data",)))
```

Importing this package does not import Dask (``pip install 'scanner[cluster]'`` brings it);
:func:`connect` does, and says in one line what to install when it is missing. Where things
are: ``spec`` (where the cluster is, how work is cut), ``connect`` (starting or reaching it),
``tasks`` (the plain functions workers run), ``waiter`` (waiting for tasks, Dask's failures
mapped, suspects isolated), ``walk`` (the tree engine's executor), ``archives`` (archive
inspection), ``blocks`` and ``sweep`` (sweeps), ``wire`` (what crosses the wire, as tuples),
``devices`` and ``links`` (what must mean the same on every node), ``faults`` (the test hook
that kills workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.cluster.connect import (
    Cluster,
    ClusterLost,
    connect,
    open_cluster,
    require_dask,
)
from scanner.cluster.spec import ClusterSpec, ShareConfig
from scanner.lazy import lazy_attributes

if TYPE_CHECKING:
    from scanner.cluster.archives import ClusterArchiveEngine, inspect_on_cluster
    from scanner.cluster.sweep import ClusterSweep, sweep_on_cluster
    from scanner.cluster.walk import ClusterExecutor, walk_on_cluster

#: Imported on first use: a walk does not load the archive and sweep engines.
_LAZY = {
    "ClusterArchiveEngine": "scanner.cluster.archives",
    "inspect_on_cluster": "scanner.cluster.archives",
    "ClusterSweep": "scanner.cluster.sweep",
    "sweep_on_cluster": "scanner.cluster.sweep",
    "ClusterExecutor": "scanner.cluster.walk",
    "walk_on_cluster": "scanner.cluster.walk",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "Cluster",
    "ClusterArchiveEngine",
    "ClusterExecutor",
    "ClusterLost",
    "ClusterSpec",
    "ClusterSweep",
    "ShareConfig",
    "connect",
    "inspect_on_cluster",
    "open_cluster",
    "require_dask",
    "sweep_on_cluster",
    "walk_on_cluster",
]
