"""The one rule for a file name's extension, shared by the tree walk's counts and the
archive code (member extensions, archive names), so they never disagree.

The rule is ``os.path.splitext``'s: the extension is what follows the last dot, unless
everything before that dot is dots (``.bashrc`` and ``..x`` have none); a trailing dot gives
an empty one. With ``compound`` a known compressor suffix after ``.tar`` counts as one
extension (``a.tar.gz`` -> ``tar.gz``). No imports: the zip fast path uses this too.
:func:`add_counts` is how per-extension counts add up, wherever they are merged.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no imports at run time (see above)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: Suffixes that, after ``.tar``, form one compound extension (``.tar.gz``...).
COMPOUND_TAILS = frozenset({"gz", "bz2", "xz", "zst", "lz", "lz4", "lzma", "z", "br"})

#: The extension of names that have none.
NO_EXTENSION = ""


def extension_of(name: str, compound: bool = False) -> str:
    """The raw (case-preserved) extension of a file name, without the dot; "" for none."""
    i = name.rfind(".")
    if i <= 0 or not name[:i].strip("."):
        return NO_EXTENSION
    ext = name[i + 1 :]
    if compound and ext.lower() in COMPOUND_TAILS:
        j = name.rfind(".", 0, i)
        if j > 0 and name[j + 1 : i].lower() == "tar" and name[:j].strip("."):
            return name[j + 1 :]
    return ext


def add_counts(
    into: dict[str, list[int]], counts: Mapping[str, Sequence[int]], *, fold: bool = False
) -> None:
    """Add ``{extension: [files, bytes]}`` counts into ``into`` (new lists: ``into`` never
    shares one with ``counts``); ``fold`` lower-cases the extensions first."""
    for ext, (files, nbytes) in counts.items():
        key = ext.lower() if fold else ext
        slot = into.get(key)
        if slot is None:
            into[key] = [files, nbytes]
        else:
            slot[0] += files
            slot[1] += nbytes
