"""Names as labels for people: the unit suffix in brackets, abbreviations as people write them."""

from __future__ import annotations

import pytest

from colossim.metrics.labels import label


@pytest.mark.parametrize(("name", "shown"), [
    ("energy_mwh", "energy (MWh)"),
    ("peak_power_mw", "peak power (MW)"),
    ("it_power_mw", "IT power (MW)"),
    ("gpu_utilization", "GPU utilization"),
    ("gpus_throttled", "GPUs throttled"),
    ("makespan_s", "makespan (s)"),
    ("job_gbytes_s", "job (GB/s)"),
    ("battery_soc", "battery SoC"),
    ("racks", "racks"),
    ("s", "s"),  # a unit alone is not a name: only a suffix after other words is a unit
])
def test_label(name, shown):
    assert label(name) == shown
