"""The values of the option groups (``DataOptions``, ``TreeOptions``), without typer.

A command takes ``data: DataOptions`` or ``tree: TreeOptions``; typer sees the options in
their place (``scanner.cli._options.option_group``, the declarations in ``_options`` and
``_walk_options``), and the fast path (:mod:`scanner.cli.fast`) builds the same objects from
the command lines it runs, so both reach the same command bodies (``scanner.cli._walk``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays unimported on the fast path
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from scanner.output.formats import Format
    from scanner.runtime.command import Output


class OptionGroup:
    """Options that several commands declare once (``option_group``): the class attributes
    are the options and their defaults; an instance holds the values of one run. A plain
    class, not a dataclass: generating a dataclass's methods costs milliseconds at every
    start-up."""

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            if not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} has no option {name!r}")
            setattr(self, name, value)


class DataOptions(OptionGroup):
    """--json, --jsonl, --csv, -o and -q as typed (see ``_options.data_options``)."""

    json: bool = False
    jsonl: bool = False
    csv: bool = False
    output: Path | None = None
    quiet: bool = False

    def output_for(self, *, default: Format) -> Output:
        """The runtime's ``Output``: the one format asked for (else ``default``), where."""
        from scanner.cli._output import output_for

        return output_for(self.json, self.jsonl, self.csv, self.output, self.quiet,
                          default=default)  # fmt: skip


class TreeOptions(OptionGroup):
    """The options every tree command shares (see ``_walk_options.tree_options``), as
    typed; ``scanner.cli._walk.walk_config`` turns them into a ``WalkConfig``."""

    hidden: bool = True
    exclude: list[str] | None = None
    follow: bool = False
    one_file_system: bool = False
    workers: int | None = None
    extension: list[str] | None = None
    glob: list[str] | None = None
    regex: list[str] | None = None
    ignore_case: bool = False
    full_path: bool = False
    size: list[str] | None = None
    changed_within: str | None = None
    changed_before: str | None = None
    gitignore: bool = False
    disk_usage: bool = False
    pseudo_fs: bool = False


class ClusterOptions(OptionGroup):
    """--cluster, --cluster-file and --share-seconds as typed (see
    ``_cluster_options.cluster_options``)."""

    cluster: str | None = None
    cluster_file: str | None = None
    share_seconds: float | None = None

    def choice(self) -> Any:
        """The cluster asked for and its share settings, or None (``_cluster.cluster_choice``:
        usage problems for stray options, exit 4 without Dask)."""
        from scanner.cli._cluster import cluster_choice

        return cluster_choice(self.cluster, self.cluster_file, self.share_seconds)
