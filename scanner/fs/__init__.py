"""Tree walks: the anyio walk engine, its pure work unit, filters and extension counting.

```python
from scanner.fs import WalkConfig, walk

report = await walk(WalkConfig(roots=("/data",)))
print(report.totals.files, report.extensions.table().rows[:5])
```
"""

from __future__ import annotations

from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker, walk
from scanner.fs.extensions import ExtCounter, ExtRow, ExtSort, ExtTable, extension_of
from scanner.fs.model import (
    BatchResult,
    Budget,
    DirTask,
    Entry,
    OpenDir,
    SharedState,
    Totals,
    close_tasks,
)
from scanner.fs.report import EngineStats, LargeFile, ReportBuilder, WalkBatch, WalkReport
from scanner.fs.unit import root_tasks, scan_batch

__all__ = [
    "BatchConsumer",
    "BatchResult",
    "Budget",
    "DirTask",
    "EngineStats",
    "Entry",
    "ExtCounter",
    "ExtRow",
    "ExtSort",
    "ExtTable",
    "LargeFile",
    "OpenDir",
    "ReportBuilder",
    "SharedState",
    "Totals",
    "WalkBatch",
    "WalkConfig",
    "WalkReport",
    "Walker",
    "close_tasks",
    "extension_of",
    "root_tasks",
    "scan_batch",
    "walk",
]
