"""A policy's view cannot change the run: every array it holds refuses writes, and the power
model it is handed refuses assignment and the engine's own setters.

QA found two leaks: ``view.power.model`` was the engine's model (setting ``overhead_w`` and
``idle_it_w`` on it halved a run's energy), and the fabric view's ``rack_unit`` and
``pod_uplink_domains`` were the engine's own arrays (zeroing them removed all contention).
"""

from __future__ import annotations

import numpy as np

from colossim.api import load_scenario, simulate
from colossim.policy.registry import make_policy


def _arrays(obj: object) -> dict[str, np.ndarray]:
    names = getattr(type(obj), "__slots__", ()) or vars(obj)
    return {n: v for n in names if isinstance(v := getattr(obj, n), np.ndarray)}


def _rewrite(array: np.ndarray) -> None:
    """QA: numpy lets an array that owns its data, or a view of a writeable one, be made
    writeable again; the writes then reached later views and the engine's fabric."""
    array.setflags(write=True)
    array[...] = 0


def _write_config(config) -> int:
    """Cap every job through the power config's own dict (QA: the engine's and the caller's
    scenario's, so the run was capped with no SetPowerCap). Returns the writes made."""
    from colossim.config.power import JobPower

    for name in ("llm-8b", "llm-70b"):
        config.jobs[name] = JobPower(comm_fraction=0.9, cap_w=400)
    return 2


class Meddler:
    """fifo, after trying to write into everything its view holds; keeps what got through."""

    def __init__(self) -> None:
        self.inner = make_policy("fifo")
        self.name = self.inner.name
        self.tried: list[str] = []
        self.got_through: list[str] = []
        self.config_writes = 0

    def _try(self, label: str, write) -> None:
        self.tried.append(label)
        try:
            write()
        except (ValueError, AttributeError, TypeError):
            return
        self.got_through.append(label)

    def decide(self, view):
        targets = {"racks": view.racks, "fabric": view.racks.fabric}
        for where, obj in targets.items():
            for name, array in _arrays(obj).items():
                self._try(f"{where}.{name}", lambda a=array: a.__setitem__(..., 0))
                self._try(f"rewritable {where}.{name}", lambda a=array: _rewrite(a))
                base, depth = array.base, 1  # QA: ``.base.setflags(write=True)`` reached the
                while isinstance(base, np.ndarray):  # engine's fabric topology
                    self._try(f"rewritable {where}.{name}.base{depth}",
                              lambda b=base: _rewrite(b))
                    base, depth = base.base, depth + 1
        model = view.power.model
        self._try("rewritable model.gpus_by_type", lambda: _rewrite(model.gpus_by_type))
        self._try("model.type_index", lambda: model.type_index.__setitem__("GB200", 7))
        self.config_writes += _write_config(model.config)  # a copy: the run must not see it
        for name in ("overhead_w", "idle_it_w", "overhead_per_gpu_w", "config", "dark"):
            self._try(f"model.{name}", lambda n=name: setattr(model, n, 0.0))
        self._try("model.gpus_by_type", lambda: model.gpus_by_type.__setitem__(..., 0))
        self._try("del model.curves", lambda: delattr(model, "curves"))
        self._try("model.set_setting", lambda: model.set_setting(None, "power_cap_w", 1.0))
        for name in ("layout", "capped", "book", "_by_type", "_shapes"):  # the engine's state
            self._try(f"read model.{name}", lambda n=name: getattr(model, n))
        return self.inner.decide(view)


def test_every_write_through_the_view_fails_and_the_run_is_fifo_s():
    scenario = load_scenario("small")  # fabric and power models on
    assert scenario.cluster.fabric is not None
    meddler = Meddler()
    meddled = simulate(scenario, policy=meddler)
    assert "fabric.rack_unit" in meddler.tried and "fabric.pod_uplink_domains" in meddler.tried
    assert meddler.got_through == [] and meddler.config_writes > 0
    assert "rewritable racks.capacity" in meddler.tried
    assert scenario.cluster.power.jobs == {}  # the caller's scenario is untouched
    plain = simulate(scenario)
    assert meddled.cluster.energy_mwh == plain.cluster.energy_mwh
    assert meddled.makespan_s == plain.makespan_s
    assert [j.contention_slowdown for j in meddled.jobs] == [
        j.contention_slowdown for j in plain.jobs]


def test_the_model_still_prices_for_policies():
    """Reading through the front is the model's own answer (power-aware relies on it)."""
    scenario = load_scenario("small", ["scheduler.policy.name=power-aware"])
    seen = {}

    class Reader:
        name = "reader"

        def decide(self, view):
            model = view.power.model
            seen["floor"] = model.curve("GB200").floor_w
            seen["idle"] = model.idle_it_w
            return make_policy("fifo").decide(view)

    simulate(scenario, policy=Reader())
    assert seen["floor"] == 380.0  # GB200's lowest cap (docs/power.md)
    assert seen["idle"] > 0
