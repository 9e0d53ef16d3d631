"""benchmarks/run_all.py rewrites only its own section of RESULTS.md."""

from __future__ import annotations

from benchmarks.run_all import SCENARIOS, SECTION, replace_section


def test_section_is_appended_when_missing() -> None:
    text = replace_section("# Results\n\n## Tree walk\n\nfigures\n", f"{SECTION}\n\nnew\n")
    assert text == f"# Results\n\n## Tree walk\n\nfigures\n\n{SECTION}\n\nnew\n"


def test_section_is_replaced_and_the_others_kept() -> None:
    old = f"# Results\n\n## Tree walk\n\na\n\n{SECTION}\n\nold\n\n## Zip archives\n\nb\n"
    text = replace_section(old, f"{SECTION}\n\nnew\n")
    assert text == f"# Results\n\n## Tree walk\n\na\n\n{SECTION}\n\nnew\n\n## Zip archives\n\nb\n"
    assert replace_section(text, f"{SECTION}\n\nnew\n") == text


def test_scenarios_use_known_variants() -> None:
    from scanner.compare.workload import load_workload

    assert len({s.key for s in SCENARIOS}) == len(SCENARIOS)
    for s in SCENARIOS:
        workload = load_workload(s.workload)
        for name in s.variants:
            workload.variant(name)
