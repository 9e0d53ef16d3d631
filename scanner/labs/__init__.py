"""Built-in, reproducible workloads for tests and benchmarks.

* :mod:`scanner.labs.tree`: a deterministic, seeded tree generator with a manifest of the
  counts a correct walk must find (sparse files, so 1M files cost no disk).
* :mod:`scanner.labs.slowfs`: a read-only FUSE passthrough that sleeps a fixed latency per
  metadata call, to measure walks on a simulated NFS/SMB.
"""

from __future__ import annotations

from scanner.labs.tree import ExtCount, TreeManifest, TreeSpec, generate_tree, remove_tree

__all__ = ["ExtCount", "TreeManifest", "TreeSpec", "generate_tree", "remove_tree"]
