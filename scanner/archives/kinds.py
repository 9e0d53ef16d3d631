"""Which file names are zip-family archives.

One list shared by tree detection (``scanner zip`` on a directory), ``scan
--into-archives`` and nested-archive recursion, so they never disagree.
"""

from __future__ import annotations

from scanner.extname import extension_of as _raw_extension

# typing costs ~3 ms to import; the zip fast path (scanner.entry) imports this module
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

#: Extensions (case-folded, without the dot) of formats that are zip containers.
ARCHIVE_EXTENSIONS: Final[frozenset[str]] = frozenset(
    {
        # plain zip and self-extracting variants
        "zip", "zipx",
        # Java / Android
        "jar", "war", "ear", "apk", "aab", "aar", "jmod",
        # Python
        "whl", "egg", "pyz",
        # .NET / NuGet, VS extensions
        "nupkg", "snupkg", "vsix",
        # Office Open XML
        "docx", "docm", "dotx", "xlsx", "xlsm", "xltx", "pptx", "pptm", "potx",
        # OpenDocument
        "odt", "ods", "odp", "odg", "ott", "ots", "otp",
        # e-books, browser extensions, mobile apps, misc zip containers
        "epub", "xpi", "crx", "ipa", "appx", "msix", "kmz", "sketch", "xps", "oxps",
    }
)  # fmt: skip


def extension_of(name: str) -> str:
    """Case-folded extension of a member path's last component, without the dot; ``""`` when
    none: the walk's rule (:func:`scanner.extname.extension_of`), so a member counts
    under the same extension as a file of the same name would."""
    slash = max(name.rfind("/"), name.rfind("\\"))
    return _raw_extension(name[slash + 1 :]).lower()


_LONGEST = max(len(e) for e in ARCHIVE_EXTENSIONS)


def is_archive_name(name: str) -> bool:
    """True when ``name``'s extension is a zip-family one (cheap for the common "no")."""
    dot = name.rfind(".")
    if dot < 0 or len(name) - dot - 1 > _LONGEST:
        return False
    ext = name[dot + 1 :].lower()
    return ext in ARCHIVE_EXTENSIONS and extension_of(name) == ext
