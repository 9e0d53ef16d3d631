"""What ``--cluster``, ``--cluster-file`` and ``--share-seconds`` build, without typer: where
the cluster is, how work is cut for it, and the job that runs there.

Nothing here imports Dask: without ``--cluster`` nothing does; with it and without the
``cluster`` extra, the command fails at once in one line (exit 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scanner.cluster.spec import ClusterSpec, ShareConfig
    from scanner.net.jobs import PingJob
    from scanner.net.targets import TargetSpec
    from scanner.runtime.command import Job


def cluster_choice(
    cluster: str | None, cluster_file: str | None, share_seconds: float | None
) -> tuple[ClusterSpec, ShareConfig] | None:
    """The cluster asked for and its share settings; None when no cluster is asked for.
    Usage problems for conflicting or stray options; a one-line failure (exit 4) when Dask
    is not installed, found without importing it."""
    from scanner.errors import UsageProblem

    if cluster is None and cluster_file is None:
        if share_seconds is not None:
            raise UsageProblem("--share-seconds goes with --cluster or --cluster-file")
        return None
    if cluster is not None and cluster_file is not None:
        raise UsageProblem("choose one of --cluster, --cluster-file")
    from scanner.cluster.connect import require_dask_installed
    from scanner.cluster.spec import ClusterSpec, ShareConfig

    spec = (
        ClusterSpec.parse(cluster)
        if cluster is not None
        else ClusterSpec.from_file(str(cluster_file))
    )
    shares = ShareConfig() if share_seconds is None else ShareConfig(share_seconds=share_seconds)
    require_dask_installed()
    return spec, shares


def on_cluster(job: Job, choice: tuple[ClusterSpec, ShareConfig] | None) -> Job:
    """``job`` as it is, or wrapped to run its engine on the cluster chosen (walk, ext and
    scan jobs: the tree engine; zip jobs: the archive engine)."""
    if choice is None:
        return job
    from scanner.archives.jobs import ZipJob
    from scanner.cluster.jobs import TreeOnCluster, ZipOnCluster

    if isinstance(job, ZipJob):
        return ZipOnCluster(job, *choice)
    return TreeOnCluster(job, *choice)


def ping_on_cluster(
    job: PingJob,
    choice: tuple[ClusterSpec, ShareConfig] | None,
    specs: Sequence[TargetSpec],
    excludes: Sequence[TargetSpec],
) -> Job:
    """A ping job as it is, or its sweep on the cluster chosen, in blocks of the targets
    of ``specs`` less ``excludes``."""
    if choice is None:
        return job
    from scanner.cluster.jobs import PingOnCluster

    return PingOnCluster(job, *choice, specs, excludes)
