"""Extension rules, the counter and its table (sort, --top with others, totals)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.extname import extension_of
from scanner.fs.extensions import (
    ExtCounter,
    ExtRow,
    ExtSort,
    count_names,
    label,
)


@pytest.mark.parametrize(
    ("name", "plain", "compound"),
    [
        ("a.py", "py", "py"),
        ("A.JPG", "JPG", "JPG"),
        (".bashrc", "", ""),
        ("..hidden", "", ""),
        (".eslintrc.json", "json", "json"),
        ("Makefile", "", ""),
        ("trailing.", "", ""),
        ("x.tar.gz", "gz", "tar.gz"),
        ("x.TAR.GZ", "GZ", "TAR.GZ"),
        ("x.tar.zst", "zst", "tar.zst"),
        ("x.gz", "gz", "gz"),
        ("x.zip.gz", "gz", "gz"),
        (".tar.gz", "gz", "gz"),  # a dotfile named "tar" with .gz: nothing before .tar
        ("a..gz", "gz", "gz"),
    ],
)
def test_extension_rules(name: str, plain: str, compound: str) -> None:
    assert extension_of(name) == plain
    assert extension_of(name, compound=True) == compound


@given(st.text(alphabet="ab.XY_", min_size=1, max_size=12).filter(lambda n: "/" not in n))
def test_extension_agrees_with_splitext(name: str) -> None:
    # os.path.splitext is the documented rule; "name." gives "." there and "" here
    ext = os.path.splitext(name)[1][1:]
    assert extension_of(name) == ext


def test_counter_folds_case_unless_asked() -> None:
    names = [("a.JPG", 10), ("b.jpg", 5), ("c", 1), (".bashrc", 2)]
    folded = count_names(names)
    assert folded.as_dict() == {"jpg": (2, 15), "": (2, 3)}
    kept = count_names(names, case_sensitive=True)
    assert kept.as_dict() == {"JPG": (1, 10), "jpg": (1, 5), "": (2, 3)}


def test_table_sort_top_others_and_total() -> None:
    counter = ExtCounter()
    counter.merge_raw({"py": [5, 100], "c": [3, 900], "md": [3, 50], "": [1, 1]})
    by_count = counter.table(ExtSort.COUNT)
    assert [r.ext for r in by_count.rows] == ["py", "c", "md", ""]  # tie c/md: bytes, then name
    by_bytes = counter.table(ExtSort.BYTES, top=2)
    assert [r.ext for r in by_bytes.rows] == ["c", "py"]
    assert by_bytes.others == ExtRow(None, 4, 51)
    assert by_bytes.total == ExtRow(None, 12, 1051)
    assert by_bytes.distinct == 4
    by_name = counter.table(ExtSort.NAME)
    assert [r.ext for r in by_name.rows] == ["", "c", "md", "py"]
    assert counter.table(top=10).others is None


def test_merge_adds_batches() -> None:
    a = ExtCounter()
    a.merge_raw({"Py": [1, 10]})
    b = ExtCounter()
    b.merge_raw({"py": [2, 20], "txt": [1, 1]})
    a.merge(b)
    assert a.as_dict() == {"py": (3, 30), "txt": (1, 1)}
    assert (a.files, a.bytes) == (4, 31)


def test_labels() -> None:
    assert [label("py"), label(""), label(None)] == [".py", "(none)", "(others)"]
