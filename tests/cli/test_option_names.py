"""Unknown names given to an option: a suggestion, and a list that stays short (a trace replay
has thousands of jobs; --explain with a shortened id printed all 800 of them on one line)."""

from __future__ import annotations

import pytest

from colossim.cli.options import check_names
from colossim.errors import ConfigError


def message(given: str, known: list[str]) -> str:
    with pytest.raises(ConfigError) as caught:
        check_names("--explain", "job", [given], known)
    [problem] = caught.value.problems
    return problem.message


def test_a_shortened_id_is_matched_by_its_start():
    known = ["3a099c80-ed71-d874-9dc3-a0c622d635b7", "01a9abd0-ed71-d874-9dc3-a0c622d635b7"]
    assert message("3a099c80", known).startswith(
        "no job named '3a099c80' (did you mean '3a099c80-ed71-d874-9dc3-a0c622d635b7'?); jobs: ")


def test_the_list_stops_after_twelve_names_and_says_how_many_more():
    known = [f"job-{i:02d}" for i in range(30)]
    text = message("job-0", known)
    # ten names start with "job-0": the first three are offered, then how many more
    assert "(did you mean 'job-00', 'job-01' or 'job-02' (7 more start so)?)" in text
    assert text.endswith("jobs: " + ", ".join(known[:12]) + ", ... and 18 more")


def test_a_near_miss_still_gets_its_suggestion():
    assert "(did you mean 'llm-8b'?)" in message("lm-8b", ["llm-70b", "llm-8b", "image-2b"])
