"""YAML with line marks: every key and list item keeps its line; lookups fall back to parents."""

from __future__ import annotations

import pytest

from colossim.config.yamlmarks import Marks, parse_yaml_text
from colossim.errors import ConfigError

TEXT = """\
a:
  b: 1
  c:
    - x
    - {d: 2,
       e: 3}
f: 9.0e8
"""


def test_every_key_and_item_has_its_line():
    data, marks = parse_yaml_text(TEXT, "t.yaml")
    assert data == {"a": {"b": 1, "c": ["x", {"d": 2, "e": 3}]}, "f": 9.0e8}
    assert type(data["a"]) is dict and type(data["a"]["c"]) is list  # plain types, not ruamel's
    where = {k: line for k, (_, line) in marks.where.items()}
    assert where == {(): 1, ("a",): 1, ("a", "b"): 2, ("a", "c"): 3, ("a", "c", 0): 4,
                     ("a", "c", 1): 5, ("a", "c", 1, "d"): 5, ("a", "c", 1, "e"): 6, ("f",): 7}


def test_locate_falls_back_to_the_deepest_known_parent():
    _, marks = parse_yaml_text(TEXT, "t.yaml")
    assert marks.locate(("a", "c", 1, "missing")) == ("t.yaml", 5)
    assert marks.locate(("nowhere",)) == ("t.yaml", 1)
    assert Marks().locate(("x",)) == ("<input>", None)


def test_drop_below_forgets_replaced_values():
    _, marks = parse_yaml_text(TEXT, "t.yaml")
    marks.drop_below(("a", "c"))
    assert ("a", "c", 0) not in marks.where and marks.where[("a", "c")] == ("t.yaml", 3)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\n\tb: 2\n", 2, "not valid YAML: found character '\\t' that cannot start any token"),
        ("a: 1\na: 2\n", 2,
         'not valid YAML: found duplicate key "a" with value "2" (original value: "1")'),
        ('a: "x\nb: 1\n', 3,
         "not valid YAML: found unexpected end of stream (while scanning a quoted scalar at "
         "line 1)"),
        ("a: 1\n---\nb: 2\n", 2,
         "not valid YAML: expected a single document in the stream, but found another document"),
    ],
)
def test_syntax_errors_carry_a_line(text, line, message):
    with pytest.raises(ConfigError) as info:
        parse_yaml_text(text, "t.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.message) == ("t.yaml", line, message)
