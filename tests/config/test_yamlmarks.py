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
        ("a: 1\n\tb: 2\n", 2, "not valid YAML: found character '\\t' that cannot start any token: "
         "YAML indents with spaces, not tabs; replace the tab on this line with spaces"),
        # QA: the commonest slips of indentation got the parser's words only
        ("jobs:\n  - name: x\n    a: 1\n     b: 2\n", 4, "not valid YAML: mapping values are "
         "not allowed here: check this line's indentation against the line above, or quote a "
         "value that holds ': '"),
        ("jobs:\n  - name: x\n    a: 1\n  b: 2\n", 4, "not valid YAML: expected <block end>, "
         "but found '?' (while parsing a block collection at line 2): a line here is indented "
         "differently from the block it belongs to; line it up with its siblings above"),
        ("a: 1\na: 2\n", 2,
         'not valid YAML: found duplicate key "a" with value "2" (original value: "1")'),
        # QA: blocks given twice were said as Python dumps of both values
        ("c:\n  p: 2\nc:\n  n: x\n", 3,
         'not valid YAML: found duplicate key "c" (a key given twice in one mapping: keep one)'),
        # QA: an unclosed quote was said at the end of the file (line 3 of 2), a key with no
        # space after its colon at the next line, a key with no colon at the line below it
        ('a: "x\nb: 1\n', 1,
         "not valid YAML: a quoted scalar that begins on this line is not closed: found "
         "unexpected end of stream (at the end of the file)"),
        ("a:\n  - b: 1\n    c:2\n  - d: 3\n", 3,
         "not valid YAML: a simple key that begins on this line is not closed: could not find "
         "expected ':' (at line 4); a key needs ': ' (a space after the colon) before its value"),
        ("name: x\ncluster:\n  pods 2\n  racks: 2\n", 3,
         "not valid YAML: this line has no ':' after its key (the parser stopped at line 4: "
         "mapping values are not allowed here); write it as key: value"),
        # but the text of a block scalar above a value holding ': ' is not at fault (review)
        ("name: x\ndescription: |\n  some text\ncluster: a: b\n", 4,
         "not valid YAML: mapping values are not allowed here: check this line's indentation "
         "against the line above, or quote a value that holds ': '"),
        ("a: 1\n---\nb: 2\n", 2,
         "not valid YAML: expected a single document in the stream, but found another document"),
    ],
)
def test_syntax_errors_carry_a_line(text, line, message):
    with pytest.raises(ConfigError) as info:
        parse_yaml_text(text, "t.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.message) == ("t.yaml", line, message)


@pytest.mark.parametrize("text", ["%YAML 1.2\n---\na: 0144\n",
                                  "\ufeff# c\n\n%YAML 1.2 # c\n---\na: 0144\n",
                                  "%TAG !e! tag:example.com,2000:\n---\na: 0144\n"])
def test_a_yaml_1_2_directive_or_a_tag_directive_is_read_as_yaml_1_2(text):
    assert parse_yaml_text(text, "t.yaml")[0] == {"a": 144}


@pytest.mark.parametrize(("text", "line", "version"), [
    ("%YAML 1.1\n---\na: off\n", 1, "1.1"),
    ("# a comment\r\n\r\n%YAML 1.3\r\n---\na: 1\r\n", 3, "1.3"),
    ("%YAML\n---\na: 1\n", 1, "without a version"),
])
def test_a_yaml_directive_other_than_1_2_is_refused_at_its_line(text, line, version):
    with pytest.raises(ConfigError) as info:
        parse_yaml_text(text, "t.yaml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.field, problem.message) == (
        "t.yaml", line, "", f"%YAML {version}: colossim reads YAML 1.2 only (where off is text "
        "and 0144 is 144): remove this line")


@pytest.mark.parametrize(("literal", "digits"), [("9" * 4301, 4301), ("-0x" + "f" * 4000, 4000)],
                         ids=["decimal", "hex"])
def test_an_integer_too_long_to_read_or_print_is_a_problem_at_its_field(literal, digits):
    with pytest.raises(ConfigError) as info:
        parse_yaml_text(f"a:\n  - b: {literal}\n", "t.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.field, problem.message) == (
        2, "a[0].b", f"a number of {digits:,} digits is too long to read (at most 4,300)")
    assert parse_yaml_text("a: " + "9" * 4300, "t.yaml")[0] == {"a": int("9" * 4300)}


@pytest.mark.parametrize(("text", "said"), [
    ("a: !!set {x, y}\n", "t.yaml:1: a: the YAML tag !!set is not supported: remove it"),
    ("a: !!binary aGVsbG8=\n", "t.yaml:1: a: the YAML tag !!binary is not supported: remove it"),
])
def test_yaml_only_values_are_refused_by_their_tag(text, said):
    """QA: "expected a number, got set(odict_keys(['x', 'y']))" and "got b'hello'"."""
    with pytest.raises(ConfigError) as caught:
        parse_yaml_text(text, "t.yaml")
    assert [str(p) for p in caught.value.problems] == [said]


def test_keys_that_are_not_text_are_named_as_yaml_spells_them():
    """QA: ``~: 1``, ``true: 2`` and ``? [a, b]`` were fields "None", "True" and "('a', 'b')"."""
    data, marks = parse_yaml_text("~: 1\ntrue: 2\n? [a, b]\n: 3\n7: 4\n", "t.yaml")
    assert data == {"null": 1, "true": 2, "[a, b]": 3, "7": 4}
    assert marks.where[("true",)] == ("t.yaml", 2)


@pytest.mark.parametrize("text", ['"null": 400\n~: 800\n', '1: a\n"1": b\n'])
def test_two_keys_one_field_name_are_refused_not_merged(text):
    """Review: null and "null" (or 1 and "1") are two keys to YAML but one field name: the
    first was dropped without a word."""
    with pytest.raises(ConfigError, match=r"t.yaml:2: .*: the key .* is given twice"):
        parse_yaml_text(text, "t.yaml")


def test_a_cr_only_file_reads_its_lines(tmp_path):
    """Review: once files were read as bytes (with a size cap), a CR-only file's %YAML 1.1 went
    unrefused, and a byte that is not UTF-8 on its line 4 was said at line 1."""
    from colossim.config.yamlmarks import read_yaml_file

    old = tmp_path / "old.yaml"
    old.write_bytes(b"%YAML 1.1\r---\ra: 1\r")
    with pytest.raises(ConfigError, match=r"old.yaml:1: %YAML 1.1"):
        read_yaml_file(old)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\rb: 2\r\nc: 3\r# caf\xe9\r")
    with pytest.raises(ConfigError, match=r"latin.yaml:4: not a UTF-8 text file"):
        read_yaml_file(latin)
    ok = tmp_path / "ok.yaml"
    ok.write_bytes(b"a: 1\rb: 2\r")
    assert read_yaml_file(ok)[0] == {"a": 1, "b": 2}
