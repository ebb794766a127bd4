"""The hypothesis strategies' scenarios, as a property test's author meets them."""

from __future__ import annotations


def test_a_drawn_scenario_reads_as_the_code_that_rebuilds_it():
    # hypothesis prints a counter-example by its repr: a whole Scenario's ran to ~5,000
    # characters of defaults; a drawn one shows what was drawn, as code that rebuilds it
    from hypothesis import HealthCheck, given, settings

    from colossim.config.schema import Scenario
    from colossim.testing.strategies import scenarios

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def check(drawn):
        text = repr(drawn)
        assert text.startswith("Scenario.model_validate(") and "dvfs" not in text
        rebuilt = eval(text, {"Scenario": Scenario})
        assert rebuilt.model_dump() == drawn.model_dump()

    check()
