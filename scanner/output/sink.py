"""Where data goes: stdout, or a report file written atomically with aiofiles.

A report file is written to a temporary file beside the target and renamed over it only when
the command finished writing (``os.replace``), so a reader never sees a half-written report:
on an error or a Ctrl-C the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from scanner.errors import OperationFailed

if TYPE_CHECKING:
    from pathlib import Path

    import anyio

_FLUSH_AT = 256 * 1024  # one thread hop per 256 KiB, not per record


class Sink(Protocol):
    """Something the commands write their data to."""

    async def write(self, data: str | bytes) -> None:
        """Append data (str is encoded UTF-8, undecodable OS bytes restored)."""

    async def flush(self) -> None:
        """Push buffered data out (a streaming command calls this per batch)."""


def _encode(data: str | bytes) -> bytes:
    if isinstance(data, bytes):
        return data
    # surrogateescape restores undecodable bytes of OS names exactly
    return data.encode("utf-8", "surrogateescape")


class StdoutSink:
    """Writes to the process's stdout (binary, so names can be written exactly)."""

    def __init__(self) -> None:
        self._out = sys.stdout.buffer

    async def write(self, data: str | bytes) -> None:
        self._out.write(_encode(data))

    async def flush(self) -> None:
        self._out.flush()


class _ReportHandle(Protocol):
    """What the sink needs of an async binary file: aiofiles' on asyncio, anyio's on trio."""

    async def write(self, data: bytes, /) -> int | None: ...

    async def flush(self) -> None: ...

    def fileno(self) -> int: ...

    async def close(self) -> None: ...


class _AnyioHandle:
    """anyio's AsyncFile with aiofiles' method names (aiofiles runs only on asyncio)."""

    def __init__(self, handle: anyio.AsyncFile[bytes]) -> None:
        self._handle = handle

    async def write(self, data: bytes, /) -> int:
        return await self._handle.write(data)

    async def flush(self) -> None:
        await self._handle.flush()

    def fileno(self) -> int:
        return self._handle.wrapped.fileno()

    async def close(self) -> None:
        await self._handle.aclose()


async def _open_binary(path: Path) -> _ReportHandle:
    import anyio

    from scanner.asyncrt import on_asyncio

    if on_asyncio():
        import aiofiles  # only when a report file is written: not on every start-up

        return await aiofiles.open(path, "wb")
    return _AnyioHandle(await anyio.open_file(path, "wb"))


class FileSink:
    """Buffered writes to an open async file."""

    def __init__(self, handle: _ReportHandle) -> None:
        self._handle = handle
        self._buf: list[bytes] = []
        self._size = 0

    async def write(self, data: str | bytes) -> None:
        raw = _encode(data)
        self._buf.append(raw)
        self._size += len(raw)
        if self._size >= _FLUSH_AT:
            await self.flush()

    async def flush(self) -> None:
        if self._buf:
            chunk = b"".join(self._buf)
            self._buf.clear()
            self._size = 0
            await self._handle.write(chunk)


@asynccontextmanager
async def atomic_file(target: Path) -> AsyncIterator[FileSink]:
    """Open ``target`` for writing so that it appears complete or not at all (a device or a
    pipe is written in place: see :func:`report_target`)."""
    from pathlib import Path

    import anyio  # only for report files: stdout needs no event loop (runtime.command)

    from scanner.output.atomic import report_target, temp_name

    target, atomic = report_target(Path(target))
    tmp = temp_name(target) if atomic else target
    try:
        handle = await _open_binary(tmp)
    except OSError as exc:
        raise OperationFailed(f"cannot write report {target}: {exc.strerror or exc}") from exc
    sink = FileSink(handle)
    if not atomic:  # a device or a pipe: written in place, as the shell's > does
        try:
            yield sink
            await sink.flush()
            await handle.flush()
        finally:
            with anyio.CancelScope(shield=True):
                await handle.close()
        return
    done = False
    try:
        yield sink
        await sink.flush()
        await handle.flush()
        await anyio.to_thread.run_sync(os.fsync, handle.fileno())
        done = True
    finally:
        with anyio.CancelScope(shield=True):
            await handle.close()
            if done:
                try:
                    await anyio.to_thread.run_sync(os.replace, tmp, target)
                except OSError as exc:
                    tmp.unlink(missing_ok=True)
                    raise OperationFailed(
                        f"cannot write report {target}: {exc.strerror or exc}"
                    ) from exc
            else:
                tmp.unlink(missing_ok=True)


@asynccontextmanager
async def open_sink(output: Path | None) -> AsyncIterator[Sink]:
    """stdout when ``output`` is None, else an atomic report file."""
    if output is None:
        sink = StdoutSink()
        try:
            yield sink
        finally:
            try:
                sys.stdout.flush()
                await sink.flush()
            except BrokenPipeError:
                pass
        return
    async with atomic_file(output) as file_sink:
        yield file_sink
