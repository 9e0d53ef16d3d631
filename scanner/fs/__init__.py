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

from scanner.lazy import lazy_attributes

TYPE_CHECKING = False  # typing stays unimported on the start-up path
if TYPE_CHECKING:
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

# Importing ``scanner.fs.X`` runs this module first: nothing is imported until a name is
# asked for (PEP 562), so that a plain walk loads neither the anyio engine nor the filters,
# ignore files and per-directory totals it does not use.
_WHERE: dict[str, str] = {
    "BatchConsumer": "scanner.fs.engine",
    "BatchResult": "scanner.fs.batch",
    "Budget": "scanner.fs.batch",
    "DirTask": "scanner.fs.batch",
    "DirTotal": "scanner.fs.model",
    "DirTotals": "scanner.fs.model",
    "EngineStats": "scanner.fs.model",
    "Entry": "scanner.fs.model",
    "EntrySort": "scanner.fs.sorting",
    "ExtCounter": "scanner.fs.extensions",
    "ExtRow": "scanner.fs.extensions",
    "ExtSort": "scanner.fs.extensions",
    "ExtTable": "scanner.fs.extensions",
    "LargeFile": "scanner.fs.model",
    "MergedRoot": "scanner.fs.model",
    "OpenDir": "scanner.fs.batch",
    "ReportBuilder": "scanner.fs.batch",
    "SharedState": "scanner.fs.batch",
    "SizeFilter": "scanner.fs.size_filter",
    "SkippedMount": "scanner.fs.model",
    "Totals": "scanner.fs.model",
    "WalkBatch": "scanner.fs.model",
    "WalkConfig": "scanner.fs.config",
    "WalkReport": "scanner.fs.model",
    "Walker": "scanner.fs.engine",
    "close_tasks": "scanner.fs.batch",
    "extension_of": "scanner.extname",
    "parse_point_in_time": "scanner.fs.time_filter",
    "root_tasks": "scanner.fs._unit",
    "scan_batch": "scanner.fs._unit",
    "sort_entries": "scanner.fs.sorting",
    "walk": "scanner.fs.engine",
}


__getattr__ = lazy_attributes(__name__, _WHERE)


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
