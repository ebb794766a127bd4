"""A YAML baseline update keeps each comment with the key it was written above (docs/testing.md
§9): the lines directly above a key go with it when it is removed, stay with it when it is
kept, and a new key gets none; the top of the file and end-of-line comments stay put.

QA found the comment above a removed first metric moved onto the next one (ruamel stores lines
above a mapping's first key on the mapping, lines above any other key on the value before it).
Every expected text below is written out by hand from that rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from colossim.testing.baseline import dumps

HEAD = "# golden numbers for the toy run\ncolossim_baseline: 1\nmetrics:  # seconds\n"
ABOUT_A = "  # a: the first metric\n  a: 1.0  # a's note\n"
ABOUT_B = "  # b: reviewed by hand,\n  # 2 = 4 / 2\n  b: 2.0\n"
ABOUT_C = "  # c: 3 = 1 + 2\n  c: 3.0  # c's note\n"
END = "# end of the reviewed numbers\n"
PREVIOUS = HEAD + ABOUT_A + ABOUT_B + ABOUT_C + END


def update(metrics: dict, previous: str = PREVIOUS, **keys: object) -> str:
    return dumps(Path("toy.yaml"), {"colossim_baseline": 1, **keys, "metrics": metrics}, previous)


@pytest.mark.parametrize(("metrics", "expected"), [
    pytest.param({"a": 1.0, "b": 2.0, "c": 3.0}, PREVIOUS, id="unchanged: byte for byte"),
    pytest.param({"b": 2.5, "c": 3.0},  # QA: "# a: ..." landed above b, b's own lines were lost
                 HEAD + "  # b: reviewed by hand,\n  # 2 = 4 / 2\n  b: 2.5\n" + ABOUT_C + END,
                 id="remove the first key"),
    pytest.param({"c": 3.0}, HEAD + ABOUT_C + END, id="remove the first two"),
    pytest.param({}, "# golden numbers for the toy run\ncolossim_baseline: 1\n"
                 "metrics: {} # seconds\n" + END, id="remove all"),
    pytest.param({"n": 0.5, "a": 1.0, "b": 2.0, "c": 3.0},
                 HEAD + "  n: 0.5\n" + ABOUT_A + ABOUT_B + ABOUT_C + END,
                 id="insert a new first key"),
    pytest.param({"a": 1.0, "n": 0.5, "b": 2.0, "c": 3.0},
                 HEAD + ABOUT_A + "  n: 0.5\n" + ABOUT_B + ABOUT_C + END,
                 id="insert in the middle"),
    pytest.param({"a": 1.0, "b": 2.0}, HEAD + ABOUT_A + ABOUT_B + END,
                 id="remove the last key, the file's closing comment stays"),
    pytest.param({"a": 1.0, "b": 2.0, "c": 3.0, "z": 9},
                 HEAD + ABOUT_A + ABOUT_B + ABOUT_C + "  z: 9\n" + END,
                 id="append a key, the closing comment stays last"),
])
def test_the_comment_lines_above_a_key_belong_to_it(metrics, expected):
    text = update(metrics)
    assert text == expected
    assert update(metrics, text) == text  # a second update with the same numbers changes nothing


NESTED = """\
# top of the file
review: |
  # a line of the review, not a comment
  checked by hand
tolerances:
  # the default is tight: colossim is deterministic
  default:
    rel: 1.0e-06
  # energy is averaged over seeds
  energy_mwh:
    rel: 0.001
# the numbers, reviewed in November
metrics:

  # about a
  a: 1.0
"""
REVIEW = "# a line of the review, not a comment\nchecked by hand\n"


def test_lines_above_a_key_after_a_nested_block_belong_to_that_key():
    # ruamel keeps "# the numbers ..." on energy_mwh's rel, two levels down: removing energy_mwh
    # must not take it, removing the last metric must not move it
    text = update({}, NESTED, review=REVIEW, tolerances={"default": {"rel": 1e-6}})
    assert text == ("# top of the file\n"
                    "colossim_baseline: 1\n"  # a key the file lacked: below the top, no comment
                    "review: |\n"
                    "  # a line of the review, not a comment\n"
                    "  checked by hand\n"
                    "tolerances:\n"
                    "  # the default is tight: colossim is deterministic\n"
                    "  default:\n"
                    "    rel: 1.0e-06\n"
                    "# the numbers, reviewed in November\n"
                    "metrics: {}\n")
    # the first key of a nested block removed: its lines go, the next key's stay; a blank line
    # above a key is one of its lines
    text = update({"a": 2.0}, NESTED, review=REVIEW,
                  tolerances={"energy_mwh": {"rel": 0.001}})
    assert text == ("# top of the file\n"
                    "colossim_baseline: 1\n"
                    "review: |\n"
                    "  # a line of the review, not a comment\n"
                    "  checked by hand\n"
                    "tolerances:\n"
                    "  # energy is averaged over seeds\n"
                    "  energy_mwh:\n"
                    "    rel: 0.001\n"
                    "# the numbers, reviewed in November\n"
                    "metrics:\n"
                    "\n"
                    "  # about a\n"
                    "  a: 2.0\n")


def test_a_removed_block_takes_the_comments_inside_it_and_above_it():
    text = update({"a": 1.0}, NESTED, review=REVIEW)
    assert text == ("# top of the file\n"
                    "colossim_baseline: 1\n"
                    "review: |\n"
                    "  # a line of the review, not a comment\n"
                    "  checked by hand\n"
                    "# the numbers, reviewed in November\n"
                    "metrics:\n"
                    "\n"
                    "  # about a\n"
                    "  a: 1.0\n")
