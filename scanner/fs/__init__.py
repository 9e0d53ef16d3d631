"""Tree walks: the anyio walk engine, its pure work unit, filters and extension counting,
per-directory totals.

```python
from scanner.fs import SizeFilter, WalkConfig, walk

report = await walk(WalkConfig(roots=("/data",)))
print(report.totals.files, report.extensions.table().rows[:5])

# fd/find filters select what is counted and listed; dir_totals keeps du's per-directory
# totals down to a depth (report.dirs), disk_usage adds allocated blocks
report = await walk(WalkConfig(roots=("/data",), include_extensions=frozenset({"log"}),
                               sizes=(SizeFilter.parse("+1M"),), dir_totals=1))
for d in report.dirs.biggest(top=10):
    print(d.bytes, d.files, d.path)
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
from scanner.fs.model import (
    DirTotal,
    DirTotals,
    EngineStats,
    Entry,
    LargeFile,
    MergedRoot,
    SkippedMount,
    Totals,
    WalkBatch,
    WalkReport,
)
from scanner.fs.size_filter import SizeFilter
from scanner.fs.sorting import EntrySort, sort_entries
from scanner.fs.time_filter import parse_point_in_time

__all__ = [
    "BatchConsumer",
    "BatchResult",
    "Budget",
    "DirTask",
    "DirTotal",
    "DirTotals",
    "EngineStats",
    "Entry",
    "EntrySort",
    "ExtCounter",
    "ExtRow",
    "ExtSort",
    "ExtTable",
    "LargeFile",
    "MergedRoot",
    "OpenDir",
    "ReportBuilder",
    "SharedState",
    "SizeFilter",
    "SkippedMount",
    "Totals",
    "WalkBatch",
    "WalkConfig",
    "WalkReport",
    "Walker",
    "close_tasks",
    "extension_of",
    "parse_point_in_time",
    "root_tasks",
    "scan_batch",
    "sort_entries",
    "walk",
]
