"""The jobs ``scanner walk``, ``ext`` and ``du`` run on the command runtime
(``scanner.runtime.command``): walk, emit records as batches arrive, and what is known only
at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner import exit_codes
from scanner.fs import views
from scanner.fs.extensions import ExtSort
from scanner.fs.model import Entry, WalkBatch, WalkReport
from scanner.output.formats import Format

if TYPE_CHECKING:
    from scanner.fs.config import WalkConfig
    from scanner.fs.engine import BatchConsumer, Walker
    from scanner.fs.executor import BatchExecutor
    from scanner.fs.inline import InlineStart
    from scanner.fs.sorting import EntrySort
    from scanner.output.stream import RecordStream


class TreeJob:
    """What every tree command shares: the walk, its progress, summary and exit code.

    Errors are emitted as found (``error`` records); with ``echo_errors`` they are also
    printed on stderr (``find``'s way, for text and tables).

    An ``InlineJob`` of the command runtime: :meth:`work_inline` reads the walk's first
    batches in this thread (``scanner.fs.inline``); a small tree is then read whole and
    written without an event loop, a larger one is carried on by the engine."""

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
        self.walker: Walker | InlineStart | None = None
        self._inline: InlineStart | None = None

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

    def work_inline(self) -> bool:
        """Read the first batches now, in this thread; True when that was the whole walk.
        (Not with an executor of the caller's: a cluster's, a test's.)"""
        if self.executor is not None:
            return False
        from scanner.fs.inline import InlineStart

        self._inline = InlineStart(self.config)
        return self._inline.run()

    async def run(self, out: RecordStream) -> None:
        """The walk (what ``work_inline`` read first reaches ``out`` first)."""
        inline, self._inline = self._inline, None
        if inline is not None and not inline.frontier:
            self.walker = inline  # the whole walk, read: no engine, no event loop
            await inline.deliver(self.consumer(out))
            return
        from scanner.fs.engine import Walker

        self.walker = Walker(
            self.config, self.consumer(out), executor=self.executor, inline=inline
        )
        await self.walker.run()

    async def end(self, out: RecordStream) -> None:
        """The kept errors (for a document)."""
        if self.walker is not None:
            await out.emit("kept_errors", self.report.errors)

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """Totals, timing, roots; what the options skipped, merged or measured."""
        return views.summary_fields(self.report, self.config)

    def summary_line(self, *, interrupted: bool) -> str:
        """``scanner: scanned 12 files, 3 dirs in 0.01 s ...``, then a line per note
        (``--gitignore: 12 entries ignored``, the filters, merged roots, skipped mounts)."""
        notes = views.walk_notes(self.report, self.config)
        return views.summary_line(self.report, self.config) + "".join(
            f"scanner: {note}\n" for note in notes
        )

    def exit_code(self) -> int:
        """1 when some entries could not be read."""
        return exit_codes.PARTIAL if self.report.error_count else exit_codes.OK


class WalkJob(TreeJob):
    """``scanner walk``: entries stream as they are found; with ``sort`` they are held
    until the walk ends (or is interrupted) and emitted in that order."""

    streamed = "entries"

    def __init__(
        self,
        config: WalkConfig,
        *,
        separator: str = "\n",
        echo_errors: bool = False,
        executor: BatchExecutor | None = None,
        sort: EntrySort | None = None,
        reverse: bool = False,
    ) -> None:
        super().__init__(config, echo_errors=echo_errors, executor=executor)
        self.view = views.WalkView(separator=separator)
        self.sort = sort
        self.reverse = reverse
        self._held: list[Entry] = []

    def streams(self, fmt: Format) -> bool:
        """A listing streams in every format; a sorted one only its errors (JSONL)."""
        return self.sort is None or super().streams(fmt)

    def consumer(self, out: RecordStream) -> BatchConsumer:
        """Stream each batch, or hold its entries for the sorted listing."""
        stream = super().consumer(out)
        if self.sort is None:
            return stream
        held = self._held

        async def on_batch(batch: WalkBatch) -> None:
            held.extend(batch.entries)
            await stream(WalkBatch([], batch.errors, batch.totals))

        return on_batch

    async def end(self, out: RecordStream) -> None:
        """The sorted listing (what was read, when interrupted), then the kept errors."""
        if self.sort is not None and self._held:
            from scanner.fs.sorting import sort_entries

            await out.emit("entry", sort_entries(self._held, self.sort, reverse=self.reverse))
            self._held = []
        await super().end(out)


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


class DuJob(TreeJob):
    """``scanner du``: per-directory totals at the end (``config.dir_totals`` set), ordered
    as the tree, biggest first by ``by`` among siblings; errors as found."""

    def __init__(
        self,
        config: WalkConfig,
        *,
        by: str = "bytes",
        top: int = 10,
        echo_errors: bool = False,
        executor: BatchExecutor | None = None,
    ) -> None:
        if config.dir_totals is None:
            raise ValueError("a du job needs per-directory totals (config.dir_totals)")
        super().__init__(config, echo_errors=echo_errors, executor=executor)
        self.view = views.DuView(by=by, top=top, disk_usage=config.disk_usage)

    async def end(self, out: RecordStream) -> None:
        """The records (tree order), the tree for a terminal, then the kept errors."""
        dirs = self.report.dirs if self.walker is not None else None
        if dirs is not None:
            await out.emit("dir", views.tree_order(dirs, by=self.view.by))
            await out.emit("du_tree", [dirs])
        await super().end(out)

    def summary(self, *, interrupted: bool) -> dict[str, Any]:
        """The walk's summary and the depth of the records."""
        return {**super().summary(interrupted=interrupted), "depth": self.config.dir_totals}
