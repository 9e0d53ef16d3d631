"""The threading and sequential variants of each workload, next to the anyio engine's.

One module per workload (``walk``, ``zip``, ``ping``); each exports ``WORKLOAD``, a
:class:`~scanner.compare.workload.Workload` whose variants all call the workload's shared
work unit and differ only in how they schedule it.
"""
