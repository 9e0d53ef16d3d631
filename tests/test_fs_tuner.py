"""The adaptive tuner, driven by scripted batch measurements (no timing)."""

from __future__ import annotations

from scanner.fs.batch import BatchResult
from scanner.fs.tuner import FAST_MAX_ENTRIES, SLOW_BUDGET, START_BUDGET, Tuner


def batch(calls: int, wall: float, cpu: float) -> BatchResult:
    return BatchResult(calls=calls, wall=wall, cpu=cpu)


def test_fast_disk_stays_at_one_worker_and_grows_batches() -> None:
    tuner = Tuner(pinned=None, max_workers=128)
    assert tuner.limit == 1 and tuner.budget() == START_BUDGET
    for _ in range(12):
        # 3 µs of CPU per call, nearly no waiting: a warm local disk
        tuner.observe(batch(1000, 0.0035, 0.003), running=1)
    assert tuner.limit == 1
    assert not tuner.slow
    assert tuner.budget().max_entries == FAST_MAX_ENTRIES


def test_slow_fs_ramps_up_by_doubling_to_the_ceiling() -> None:
    tuner = Tuner(pinned=None, max_workers=64)
    limits = []
    for _ in range(10):
        # 2 ms per call, 20 µs of CPU: a FUSE/NFS mount
        tuner.observe(batch(10, 0.0202, 0.0002), running=tuner.limit)
        limits.append(tuner.limit)
    assert limits[:6] == [2, 4, 8, 16, 32, 64]
    assert tuner.limit == 64 and tuner.peak == 64
    assert tuner.budget() == SLOW_BUDGET


def test_gil_contention_is_not_mistaken_for_latency() -> None:
    tuner = Tuner(pinned=None, max_workers=128)
    tuner.limit = 64
    for _ in range(10):
        # 64 workers on a warm disk: each waits ~63 * 3 µs per call for the GIL
        tuner.observe(batch(1000, 1000 * 64 * 3e-6, 1000 * 3e-6), running=64)
    assert not tuner.slow
    assert tuner.limit == 1


def test_pinned_workers_never_change() -> None:
    tuner = Tuner(pinned=8, max_workers=128)
    for _ in range(5):
        tuner.observe(batch(10, 0.02, 0.0002), running=8)
    assert tuner.limit == 8
    for _ in range(5):
        tuner.observe(batch(1000, 0.003, 0.003), running=8)
    assert tuner.limit == 8


def test_batches_without_calls_change_nothing() -> None:
    tuner = Tuner(pinned=None, max_workers=128)
    tuner.observe(batch(0, 0.0, 0.0), running=1)
    assert tuner.latency is None and tuner.budget() == START_BUDGET


def test_pinned_workers_share_the_fast_batch_size() -> None:
    # -j N on a fast disk: every worker holds a batch, so each gets 1/N of the largest batch
    # and the entries in flight (held until written when listing) stay within one batch's worth
    for pinned, largest in [(1, FAST_MAX_ENTRIES), (2, FAST_MAX_ENTRIES // 2), (8, 2048)]:
        tuner = Tuner(pinned=pinned, max_workers=128)
        for _ in range(12):
            tuner.observe(batch(1000, 0.0035, 0.003), running=pinned)
        assert tuner.limit == pinned
        assert tuner.budget().max_entries == largest
        assert tuner.budget().max_entries * pinned <= FAST_MAX_ENTRIES
    many = Tuner(pinned=1024, max_workers=1024)
    for _ in range(12):
        many.observe(batch(1000, 0.0035, 0.003), running=1024)
    assert many.budget().max_entries == START_BUDGET.max_entries
