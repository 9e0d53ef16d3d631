"""Tree walks: the anyio walk engine, its pure work unit, filters and extension counting.

```python
from scanner.fs import WalkConfig, walk

report = await walk(WalkConfig(roots=("/data",)))
print(report.totals.files, report.extensions.table().rows[:5])
```
"""

from __future__ import annotations

from scanner.extname import extension_of
from scanner.fs._unit import root_tasks, scan_batch
from scanner.fs.batch import (
    BatchResult,
    Budget,
    DirTask,
    OpenDir,
    ReportBuilder,
    SharedState,
    close_tasks,
)
from scanner.fs.config import WalkConfig
from scanner.fs.engine import BatchConsumer, Walker, walk
from scanner.fs.extensions import ExtCounter, ExtRow, ExtSort, ExtTable
from scanner.fs.model import EngineStats, Entry, LargeFile, Totals, WalkBatch, WalkReport

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
