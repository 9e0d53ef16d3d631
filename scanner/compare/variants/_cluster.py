"""The ``cluster`` variant of every workload: the same work on a local Dask cluster.

An embedded ``LocalCluster`` of the usable CPUs (``--cluster local``), started and closed
inside the timed run: its start-up (about a second) is part of what using it costs, as on
the command line. Its worker processes' CPU and memory are not in the cell's metrics (they
are not the measured process's). Without the ``cluster`` extra the variant is left out with
a one-line note, and nothing imports Dask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import anyio

from scanner.compare.workload import Variant

#: What the variant runs: (the cluster, or its spec for an engine that starts it itself;
#: the prepared input) -> the workload's result.
ClusterRun = Callable[[Any, Any], Any]


def cluster_missing(params: object) -> str | None:
    """Why the cluster variant cannot run here (Dask not installed), found without
    importing it."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        return "Dask is not installed: pip install 'scanner[cluster]'"
    return None


def cluster_variant(run: ClusterRun, *, starts_itself: bool = False) -> Variant:
    """The ``cluster`` variant of ``run``: given an open local cluster, or with
    ``starts_itself`` its spec (the tree engine starts a local cluster while it already
    reads, as ``--cluster local`` does)."""

    def go(prepared: Any, concurrency: int) -> Any:
        from scanner.cluster import ClusterSpec, open_cluster

        spec = ClusterSpec("local")
        if starts_itself:
            return run(spec, prepared)
        with open_cluster(spec) as cluster:
            return run(cluster, prepared)

    return Variant(
        "cluster",
        go,
        "cluster",
        concurrent=False,
        description="Dask LocalCluster of the usable CPUs, start-up included",
        unavailable=cluster_missing,
    )


# The runs, one per workload. The only imports of ``scanner.cluster`` in the comparison
# module are here, inside the functions (the import contract allows this module alone).


def walk_on_local_cluster(spec: Any, cfg: Any) -> Any:
    """The tree engine on the cluster ``spec`` starts (a ``WalkReport``)."""
    from scanner.cluster import walk_on_cluster

    return anyio.run(walk_on_cluster, spec, cfg)


def inspect_on_local_cluster(cluster: Any, job: Any) -> list[Any]:
    """Every archive of ``job`` (a ``ZipInput``) on ``cluster``: its reports."""
    from scanner.archives.config import EngineConfig
    from scanner.archives.model import Candidate
    from scanner.cluster import inspect_on_cluster

    reports: list[Any] = []

    async def collect(report: Any) -> None:
        reports.append(report)

    candidates = [Candidate(p) for p in job.paths]
    engine = EngineConfig(deadline=None)
    anyio.run(partial(inspect_on_cluster, cluster, candidates, job.cfg, collect, engine=engine))
    return reports


def sweep_on_local_cluster(cluster: Any, job: Any) -> list[Any]:
    """Every target of ``job`` (a ``PingInput``) swept on ``cluster``: its host results."""
    from scanner.cluster import sweep_on_cluster
    from scanner.net.targets import parse_target_spec

    results: list[Any] = []

    async def collect(result: Any) -> None:
        results.append(result)

    specs = [parse_target_spec(t.text) for t in job.targets]
    cfg = replace(job.cfg, ping=job.ping_path)
    anyio.run(partial(sweep_on_cluster, cluster, specs, cfg, collect))
    return results
