"""``metrics.plain``: exactly what ``dataclasses.asdict`` gives, without deep-copying leaves.

``asdict`` sent every number of every job through ``copy.deepcopy``: 0.3 ms of a small run's
``to_dict``, ~9% of a sweep worker's CPU per run.
"""

from __future__ import annotations

import copy
from collections import OrderedDict, namedtuple
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from colossim.api import load_scenario, simulate
from colossim.metrics.plain import plain, plain_dict

Pair = namedtuple("Pair", "a b")


@dataclass(frozen=True)
class Inner:
    x: float
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outer:
    name: str
    inner: Inner
    items: list[Any] = field(default_factory=list)
    table: dict[Any, Any] = field(default_factory=dict)
    other: Any = None


ODD = Outer(
    name="o",
    inner=Inner(1.5, ("a", "b")),
    items=[1, 2.5, None, True, [Inner(2.0)], (3, Inner(4.0)), Pair(1, Inner(5.0))],
    table={"k": {"n": [1, {"m": Inner(6.0)}]}, 7: "seven", (1, 2): None},
    other=OrderedDict(a=[Inner(7.0)], b={"c": Pair(2, 3)}),
)


def _same(a: Any, b: Any) -> None:
    """Equal, and of the same types all the way down (a namedtuple stays one, ...)."""
    assert type(a) is type(b)
    assert a == b
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list | tuple):
        for x, y in zip(a, b, strict=True):
            _same(x, y)


def test_plain_dict_is_asdict_for_odd_values():
    _same(plain_dict(ODD), asdict(ODD))
    _same(plain(ODD), asdict(ODD))
    _same(plain(np.float64(2.5)), asdict(Outer("n", Inner(0.0), other=np.float64(2.5)))["other"])


def test_containers_are_new():
    value = Outer("o", Inner(1.0), items=[[1.0]], table={"d": {"e": 1.0}})
    out = plain_dict(value)
    assert out["items"] is not value.items and out["items"][0] is not value.items[0]
    assert out["table"]["d"] is not value.table["d"]
    out["table"]["d"]["e"] = -1  # an edit stays in the copy
    assert value.table["d"]["e"] == 1.0


def test_to_dict_is_asdict_on_real_runs_and_deep_copies_nothing(monkeypatch):
    for overrides in ([], ["reliability.enabled=true"]):
        result = simulate(load_scenario("small", overrides))
        expected = asdict(result)
        del expected["record"]
        expected["jobs"] = list(expected["jobs"])

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("to_dict deep-copied a value")

        with monkeypatch.context() as patch:
            patch.setattr(copy, "deepcopy", refuse)  # what asdict calls on every leaf
            out = result.to_dict()
        _same(out, expected)
