"""Warnings a valid scenario deserves before it runs: it loads and validates, but as written it
would waste the run. Each is a ``ColossimWarning`` (one ``warning:`` line on the command line),
not an error: a short horizon or an outage can be the point of a scenario. ``warn_about`` runs
the checks in a fixed order, so the lines read the same from run to run; each submodule holds
the checks of one subject."""

from __future__ import annotations

import sys
import warnings

from colossim.config.schema import Scenario
from colossim.load_warnings.checkpoints import warn_writes_past_intervals
from colossim.load_warnings.fabric import warn_cut_off
from colossim.load_warnings.horizon import (
    fastest_finishes,
    warn_deadlines_out_of_reach,
    warn_past_the_horizon,
)
from colossim.load_warnings.peaks import warn_precision_peaks
from colossim.load_warnings.power_settings import (
    warn_caps_below_the_floor,
    warn_idle_power_settings,
    warn_supply_in_watts,
)
from colossim.load_warnings.racks import warn_racks_under_repair, warn_standby_trays
from colossim.load_warnings.reliability import (
    warn_checkpoints_past_failures,
    warn_no_checkpoints_before_cuts,
)
from colossim.load_warnings.unpowered import warn_dark_supply, warn_never_powered


def warn_about(scenario: Scenario) -> None:
    """Every load-time warning of ``scenario``."""
    from colossim.ignored_inputs import warn_ignored_inputs
    from colossim.model.cluster import build_layout
    from colossim.model.power import PowerModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        power = PowerModel(build_layout(scenario), scenario.cluster.power)  # one for both
        finishes = fastest_finishes(scenario)
        warn_past_the_horizon(scenario, finishes)
        warn_deadlines_out_of_reach(finishes)
        warn_dark_supply(scenario, power)
        warn_never_powered(scenario, power)
        warn_supply_in_watts(scenario, power)
        warn_cut_off(scenario)
        warn_caps_below_the_floor(scenario, power)
        warn_checkpoints_past_failures(scenario, finishes)
        warn_no_checkpoints_before_cuts(scenario)
        warn_writes_past_intervals(scenario, finishes)
        warn_standby_trays(scenario)
        warn_racks_under_repair(scenario)
        warn_idle_power_settings(scenario)
        warn_precision_peaks(scenario)
        warn_ignored_inputs(scenario)
    _warn_at_the_caller(caught)


def _warn_at_the_caller(caught: list[warnings.WarningMessage]) -> None:
    """Say each warning at the first line outside colossim's modules that led here (the user's
    ``load_scenario`` or ``simulate`` call): a fixed ``stacklevel`` pointed into colossim's
    own api.py, whichever way the load came (QA). Python 3.12's ``skip_file_prefixes`` does
    this; colossim supports 3.11."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == \
            "colossim":  # by module, not file: a package imported through a symlink (review)
        frame, level = frame.f_back, level + 1
    for item in caught:
        warnings.warn(item.message, item.category, stacklevel=level)
