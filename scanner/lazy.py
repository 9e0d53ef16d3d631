"""A package's names imported on first use (PEP 562): importing one of its modules (which
runs the package's ``__init__``) then does not import all the others."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays unimported on the start-up path
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where[name]`` is the module that defines
    ``name``, imported when the name is first asked for."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        return getattr(importlib.import_module(module), name)

    return __getattr__
