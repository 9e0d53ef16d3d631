"""The comparison module: the anyio engine against threads and sequential, like hyperfine.

```python
from scanner.compare import BenchConfig, build_cells, run_comparison
from scanner.compare.labs import tree_sizes

config = BenchConfig(concurrency=(1, 2))
cells, notes = build_cells("walk", "tree", tree_sizes([10_000]), config)
report = run_comparison(cells, config, title="walk", notes=notes)
for cell in report.cells:
    print(cell.cell.variant, cell.wall.median, cell.speedup)
```

Modules: ``workload`` (what a workload and a variant are), ``variants/`` (walk, zip, ping:
the threaded and sequential schedulers next to the engine), ``harness`` (fresh worker
processes, warm-up, shuffled rounds), ``worker`` and ``metrics`` (one measured run),
``digest`` (the identical-result check), ``stats``, ``results`` (statistics per cell,
speedups, scaling fits), ``export/`` (JSON, CSV, Markdown), ``table``, ``plot``, ``labs``.
"""

from __future__ import annotations

from scanner.compare.digest import VariantsDisagree
from scanner.compare.harness import PRESETS, Preset, preset_for
from scanner.compare.model import Cell, RunMetrics, RunRecord
from scanner.compare.plan import BenchConfig, build_cells, run_comparison
from scanner.compare.results import BENCH_SCHEMA_VERSION, BenchReport, CellReport

__all__ = [
    "BENCH_SCHEMA_VERSION",
    "PRESETS",
    "BenchConfig",
    "BenchReport",
    "Cell",
    "CellReport",
    "Preset",
    "RunMetrics",
    "RunRecord",
    "VariantsDisagree",
    "build_cells",
    "preset_for",
    "run_comparison",
]
