"""scanner: an asynchronous, concurrent file-system and network scanner.

The library API is importable on its own; the ``scanner`` command (``scanner.cli``)
is a thin typer layer that builds frozen config objects and calls it.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
