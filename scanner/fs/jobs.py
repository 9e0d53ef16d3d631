"""The jobs ``scanner walk`` and ``scanner ext`` run on the command runtime
(``scanner.runtime.command``): walk, emit records as batches arrive, and what is known only
at the end."""

from __future__ import annotations

from typing import Any

from scanner import exit_codes
from scanner.fs import views
from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker
from scanner.fs.executor import BatchExecutor
from scanner.fs.extensions import ExtSort
from scanner.fs.model import WalkBatch, WalkReport
from scanner.output.formats import Format
from scanner.output.stream import RecordStream


class TreeJob:
    """What every tree command shares: the walk, its progress, summary and exit code.

    Errors are emitted as found (``error`` records); with ``echo_errors`` they are also
    printed on stderr (``find``'s way, for text and tables)."""

    streamed: str | None = None

    def __init__(
        self,
        config: WalkConfig,
        *,
        echo_errors: bool = False,
        executor: BatchExecutor | None = None,
    ) -> None:
        self.config = config
        self.echo_errors = echo_errors
        self.executor = executor
        self.walker: Walker | None = None

    @property
    def report(self) -> WalkReport:
        """The report so far (final after ``run``)."""
        assert self.walker is not None, "the job has not run"
        return self.walker.report

    def streams(self, fmt: Format) -> bool:
        """Only errors stream (records): the data is a table or a document at the end."""
        return fmt is Format.JSONL

    def progress(self) -> str:
        """Counts so far, workers, directories queued, elapsed."""
        if self.walker is None:
            return ""
        w = self.walker
        return views.progress_line(w.report, w.tuner.limit, w.frontier_size)

    def consumer(self, out: RecordStream) -> BatchConsumer:
        """Emit each batch's errors (and entries, when listing)."""

        async def on_batch(batch: WalkBatch) -> None:
            if batch.entries:
                await out.emit("entry", batch.entries)
            if batch.errors:
                await out.emit("error", batch.errors)
                if self.echo_errors:
                    for error in batch.errors:
                        out.warn(views.error_line(error))

        return on_batch

    async def run(self, out: RecordStream) -> None:
        """The walk."""
        self.walker = Walker(self.config, self.consumer(out), executor=self.executor)
        await self.walker.run()

    async def end(self, out: RecordStream) -> None:
        """The kept errors (for a document)."""
        if self.walker is not None:
            await out.emit("kept_errors", self.report.errors)

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """Totals, timing, roots."""
        return views.summary_fields(self.report)

    def summary_line(self, *, interrupted: bool) -> str:
        """``scanner: scanned 12 files, 3 dirs in 0.01 s ...``."""
        return views.summary_line(self.report)

    def exit_code(self) -> int:
        """1 when some entries could not be read."""
        return exit_codes.PARTIAL if self.report.error_count else exit_codes.OK


class WalkJob(TreeJob):
    """``scanner walk``: entries stream as they are found."""

    streamed = "entries"

    def __init__(
        self,
        config: WalkConfig,
        *,
        separator: str = "\n",
        echo_errors: bool = False,
        executor: BatchExecutor | None = None,
    ) -> None:
        super().__init__(config, echo_errors=echo_errors, executor=executor)
        self.view = views.WalkView(separator=separator)

    def streams(self, fmt: Format) -> bool:
        """A listing streams in every format."""
        return True


class ExtJob(TreeJob):
    """``scanner ext``: the extension table at the end."""

    def __init__(
        self,
        config: WalkConfig,
        *,
        order: ExtSort = ExtSort.COUNT,
        top: int | None = None,
        echo_errors: bool = False,
        executor: BatchExecutor | None = None,
    ) -> None:
        super().__init__(config, echo_errors=echo_errors, executor=executor)
        self.view = views.ExtView()
        self.order = order
        self.top = top

    async def end(self, out: RecordStream) -> None:
        """The table: its rows, the others row, the totals; then the kept errors."""
        if self.walker is None:
            return
        table = self.report.extensions.table(self.order, self.top)
        await out.emit("extension", table.rows)
        if table.others is not None:
            await out.emit("others", [table.others])
        await out.emit("ext_table", [table])
        await super().end(out)
