"""The commands' jobs on a Dask cluster (``--cluster``): the same job, its engine elsewhere.

A command builds its job as always (``scanner.fs.jobs``, ``scanner.scan``,
``scanner.archives.jobs``, ``scanner.net.jobs``) and wraps it here; the command runtime
(``scanner.runtime.command.run_job``) drives the wrapper as any other job, so output,
progress, Ctrl-C, ``-o`` and exit codes are those of the job. The wrapper only opens the
cluster around ``run`` (closed on exit, also on Ctrl-C) and plugs the cluster's engine into
the job's seam:

* walk, ext, scan: the tree engine's batch executor (:func:`scanner.cluster.walk.cluster_executor`;
  an embedded ``local`` cluster starts while this process reads the first directories);
  ``scan`` inspects the archives it meets in this process, as without ``--cluster``;
* zip: the archive engine (:class:`scanner.cluster.archives.ClusterArchiveEngine`);
* ping: the sweep, in address blocks (:func:`scanner.cluster.sweep.sweep_on_cluster`).

A lost scheduler (:class:`~scanner.cluster.connect.ClusterLost`) ends the run: what was merged
is written as usual, the error is said on stderr and the exit code is 4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio
import anyio.to_thread

from scanner import exit_codes
from scanner.cluster.connect import Cluster, ClusterLost, connect
from scanner.cluster.spec import ClusterSpec, ShareConfig

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream

    from scanner.archives.config import EngineConfig, ZipConfig
    from scanner.archives.engine import OnReport
    from scanner.archives.jobs import ZipJob
    from scanner.archives.model import Candidate
    from scanner.fs.jobs import TreeJob
    from scanner.net.engine import OnResult
    from scanner.net.jobs import PingJob
    from scanner.net.targets import TargetSpec
    from scanner.output.formats import Format
    from scanner.output.stream import RecordStream
    from scanner.output.writers import View


class Job(Protocol):
    """What is wrapped: a command's job (``scanner.runtime.command.Job``, a layer above,
    which the wrapper implements in turn)."""

    @property
    def view(self) -> View: ...
    @property
    def streamed(self) -> str | None: ...
    def streams(self, fmt: Format) -> bool: ...
    def progress(self) -> str: ...
    async def run(self, out: RecordStream) -> None: ...
    async def end(self, out: RecordStream) -> None: ...
    def summary(self, *, interrupted: bool) -> dict[str, Any]: ...
    def summary_line(self, *, interrupted: bool) -> str: ...
    def exit_code(self) -> int: ...


@asynccontextmanager
async def opened(spec: ClusterSpec) -> AsyncIterator[Cluster]:
    """The cluster ``spec`` names, started or reached in a worker thread, closed on exit
    (shielded: Ctrl-C stops the run, then the cluster)."""
    cluster = await anyio.to_thread.run_sync(connect, spec)
    try:
        yield cluster
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(cluster.close)


class ClusterJob:
    """A job whose engine runs on a cluster; everything else is the wrapped job's."""

    def __init__(self, job: Job, spec: ClusterSpec, shares: ShareConfig) -> None:
        self.job = job
        self.spec = spec
        self.shares = shares
        #: set when the scheduler went away during the run
        self.lost: ClusterLost | None = None

    @property
    def view(self) -> View:
        """The job's view."""
        return self.job.view

    @property
    def streamed(self) -> str | None:
        """The job's streamed key."""
        return self.job.streamed

    def streams(self, fmt: Format) -> bool:
        """As the job."""
        return self.job.streams(fmt)

    def progress(self) -> str:
        """As the job."""
        return self.job.progress()

    async def run(self, out: RecordStream) -> None:
        """The job's work, its engine on the cluster."""
        try:
            await self._run(out)
        except ClusterLost as exc:
            self.lost = exc
            out.warn(f"scanner: {exc}")

    async def _run(self, out: RecordStream) -> None:
        raise NotImplementedError

    async def end(self, out: RecordStream) -> None:
        """As the job."""
        await self.job.end(out)

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """As the job."""
        return self.job.summary(interrupted=interrupted)

    def summary_line(self, *, interrupted: bool) -> str:
        """As the job."""
        return self.job.summary_line(interrupted=interrupted)

    def exit_code(self) -> int:
        """4 when the scheduler was lost, else the job's."""
        return exit_codes.FAILURE if self.lost is not None else self.job.exit_code()


class TreeOnCluster(ClusterJob):
    """walk, ext, scan: the tree engine's batches as cluster tasks."""

    async def _run(self, out: RecordStream) -> None:
        from scanner.cluster.walk import cluster_executor

        job = cast("TreeJob", self.job)
        async with cluster_executor(self.spec, self.shares) as executor:
            job.executor = executor
            await job.run(out)


class ZipOnCluster(ClusterJob):
    """zip: archives (or batches of small ones) as cluster tasks."""

    job: ZipJob

    async def _run(self, out: RecordStream) -> None:
        from scanner.cluster.archives import ClusterArchiveEngine

        async with opened(self.spec) as cluster:

            async def inspect(
                cfg: ZipConfig,
                engine: EngineConfig,
                on_report: OnReport,
                candidates: MemoryObjectReceiveStream[Candidate],
            ) -> object:
                runner = ClusterArchiveEngine(cluster, cfg, on_report, engine, self.shares)
                return await runner.run(candidates)

            self.job.inspector = inspect
            await self.job.run(out)


class PingOnCluster(ClusterJob):
    """ping: blocks of addresses (and of names) as cluster tasks."""

    job: PingJob

    def __init__(
        self,
        job: PingJob,
        spec: ClusterSpec,
        shares: ShareConfig,
        specs: Sequence[TargetSpec],
        excludes: Sequence[TargetSpec],
    ) -> None:
        super().__init__(job, spec, shares)
        self.specs = specs
        self.excludes = excludes

    async def _run(self, out: RecordStream) -> None:
        from scanner.cluster.sweep import sweep_on_cluster

        async with opened(self.spec) as cluster:
            job = self.job

            async def sweep(on_result: OnResult) -> object:
                return await sweep_on_cluster(
                    cluster,
                    self.specs,
                    job.cfg,
                    on_result,
                    excludes=self.excludes,
                    summary=job.sweep_summary,
                    shares=self.shares,
                )

            job.sweeper = sweep
            await job.run(out)
