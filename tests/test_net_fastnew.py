"""Positional constructors of the sweep's frozen records (scanner.net.fastnew)."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from scanner.net.fastnew import positional_new
from scanner.net.model import HostResult, HostState
from scanner.net.targets import Target


def test_the_instances_equal_what_init_builds_and_stay_frozen() -> None:
    values = ("a", "127.0.0.1", HostState.ALIVE, None, 2, 2, 0.0, 0.1, 0.2, 0.3, 0.1,
              {"p50": 0.2}, 1, 0.5, ())  # fmt: skip
    made = positional_new(HostResult)(*values)
    assert type(made) is HostResult
    assert made == HostResult(*values) and made.records() == [made]
    assert pickle.loads(pickle.dumps(made)) == made  # a cluster's workers send them back
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.state = HostState.ERROR  # type: ignore[misc]
    target = positional_new(Target)("x", "127.0.0.1", "ip")
    assert target == Target(text="x", host="127.0.0.1", kind="ip")
    assert hash(target) == hash(Target("x", "127.0.0.1", "ip"))


def test_every_field_is_required_and_post_init_refused() -> None:
    with pytest.raises(TypeError):
        positional_new(Target)("x", "127.0.0.1")

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="__post_init__"):
        positional_new(Checked)
