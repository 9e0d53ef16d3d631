"""``--cluster``, ``--cluster-file`` and ``--share-seconds`` (walk, ext, scan, zip, ping),
declared once (what they build: ``scanner.cli._cluster``)."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli._groups import ClusterOptions
from scanner.cli._options import option_group

ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        metavar="SPEC",
        # short: every tree command's --help must fit a screen (details in the README)
        help="Run on Dask: local[:N] (N processes here) or tcp://HOST:PORT.",
    ),
]
ClusterFileOpt = Annotated[
    str | None,
    typer.Option("--cluster-file", metavar="FILE", help="A Dask scheduler file (dask-mpi)."),
]
ShareSecondsOpt = Annotated[
    float | None,
    typer.Option("--share-seconds", metavar="S", help="Seconds per cluster task (0.25)."),
]


#: The three once for the commands that take ``clu: ClusterOptions`` (walk, ext, scan, zip, ping).
cluster_options = option_group(
    "clu",
    ClusterOptions,
    (("cluster", ClusterOpt), ("cluster_file", ClusterFileOpt), ("share_seconds", ShareSecondsOpt)),
)
