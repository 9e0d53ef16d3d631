"""A small tree of ordinary and hostile archives for the ``scanner zip`` tests.

Built with ``zipfile`` and a few hand-made bytes, in a directory the test owns: ordinary
archives (a zip, a jar), hostile ones (path traversal, duplicate names, an archive nested in
an archive carrying a traversal), a text file named ``.zip`` and a real zip named ``.bin``
(found only by content, ``--sniff``).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

DATE = (2024, 5, 17, 13, 45, 30)


def _zip_bytes(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        with zipfile.ZipFile(buf, "w", method) as zf:
            for name, data in members:
                info = zipfile.ZipInfo(name, DATE)
                info.compress_type = method
                info.external_attr = 0o644 << 16
                info.create_system = 3
                zf.writestr(info, data)
    return buf.getvalue()


@dataclass(frozen=True)
class Corpus:
    """Paths of the generated tree, by role."""

    root: Path
    plain: Path
    jar: Path
    traversal: Path
    duplicate: Path
    nested: Path
    fake: Path
    hidden: Path
    text: Path

    @property
    def by_extension(self) -> set[Path]:
        """The files a walk picks by extension."""
        return {self.plain, self.jar, self.traversal, self.duplicate, self.nested, self.fake}


PLAIN_MEMBERS = [
    ("README.txt", b"hello archive\n" * 40),
    ("src/main.py", b"print('hi')\n"),
    ("src/empty.dat", b""),
]


def build_corpus(root: Path) -> Corpus:
    """Write the tree under ``root`` and return its paths."""
    (root / "ok").mkdir(parents=True)
    (root / "hostile" / "deeper").mkdir(parents=True)
    corpus = Corpus(
        root=root,
        plain=root / "ok" / "plain.zip",
        jar=root / "ok" / "app.jar",
        traversal=root / "hostile" / "traversal.zip",
        duplicate=root / "hostile" / "dup.zip",
        nested=root / "hostile" / "deeper" / "nested.zip",
        fake=root / "fake.zip",
        hidden=root / "ok" / "data.bin",
        text=root / "notes.txt",
    )
    corpus.plain.write_bytes(_zip_bytes(PLAIN_MEMBERS))
    corpus.jar.write_bytes(
        _zip_bytes(
            [
                ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n"),
                ("com/example/App.class", bytes(range(256)) * 4),
            ]
        )
    )
    corpus.traversal.write_bytes(_zip_bytes([("../../etc/cron.d/evil", b"* * * * * root id\n")]))
    corpus.duplicate.write_bytes(_zip_bytes([("a.txt", b"first\n"), ("a.txt", b"second\n")]))
    inner = _zip_bytes([("../escape.txt", b"out\n")])
    corpus.nested.write_bytes(_zip_bytes([("inner.zip", inner), ("ok.txt", b"fine\n")]))
    corpus.fake.write_bytes(b"this is a text file, not a zip archive\n" * 20)
    corpus.hidden.write_bytes(_zip_bytes([("payload.txt", b"found by content\n")]))
    corpus.text.write_text("just notes\n")
    return corpus
