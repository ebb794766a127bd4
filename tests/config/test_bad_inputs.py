"""Every bad input the foundation issue lists: exact file, line, field and message, all at once."""

from __future__ import annotations

import pytest

from colossim.api import load_scenario
from colossim.errors import ConfigError
from tests.scenario_cases import CASES, Case, matches


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_at_its_line(case: Case, tmp_path):
    source = case.write(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_scenario(source, case.overrides)
    actual = [str(p) for p in info.value.problems]
    expected = case.expect(tmp_path)
    assert matches(expected, actual), "\n".join(["expected:", *expected, "actual:", *actual])
    assert info.value.exit_code == 2
