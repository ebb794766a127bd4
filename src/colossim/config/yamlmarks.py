"""Read YAML 1.2 with line marks: plain Python data plus a map from field path to file and line.

ruamel.yaml's round-trip loader keeps the line of every key and list item; we copy the document
into plain dicts and lists (so nothing downstream depends on ruamel types) and keep the marks in a
``Marks`` table keyed by path tuples such as ``("jobs", 3, "max_gpus")``.
"""

from __future__ import annotations

import datetime
import functools
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from colossim.errors import ConfigError, Problem

PathKey = tuple[str | int, ...]


@dataclass
class Marks:
    """Where each value came from. Later writes win, so includes and overrides layer naturally."""

    where: dict[PathKey, tuple[str, int | None]] = field(default_factory=dict)
    # values an override wrote (--set, a study's parameters): a check that two fields disagree
    # blames the one the user just changed, not the one in the file below it
    overridden: set[PathKey] = field(default_factory=set)

    def set_by_override(self, path: Iterable[str | int]) -> bool:
        """Did an override write ``path``, or a block holding it?"""
        key = tuple(path)
        return any(key[:depth] in self.overridden for depth in range(1, len(key) + 1))

    def overridden_below(self, prefix: PathKey) -> list[PathKey]:
        """Paths under ``prefix`` an override wrote, in order."""
        n = len(prefix)
        return sorted((k for k in self.overridden if len(k) > n and k[:n] == prefix), key=str)

    def copy(self) -> Marks:
        return Marks(dict(self.where), set(self.overridden))

    def locate(self, path: Iterable[str | int]) -> tuple[str, int | None]:
        """The file and line of the deepest known prefix of ``path``."""
        key = tuple(path)
        while key:
            if key in self.where:
                return self.where[key]
            key = key[:-1]
        return self.where.get((), ("<input>", None))

    def update(self, other: Marks, prefix: PathKey = ()) -> None:
        for key, mark in other.where.items():
            self.where[prefix + key] = mark

    def drop_below(self, prefix: PathKey) -> None:
        """Forget marks under ``prefix`` (a value there was replaced wholesale)."""
        n = len(prefix)
        for key in [k for k in self.where if len(k) > n and k[:n] == prefix]:
            del self.where[key]


@dataclass(frozen=True)
class TooLongInt:
    """An integer literal longer than Python converts (``sys.get_int_max_str_digits``): the
    constructor returns this instead of raising, so ``_plain`` can name its field and line."""

    digits: int


DIGITS = re.compile(r"^[-+]?0[xob]|[^0-9a-fA-F]")  # what is not a digit of an int literal


@functools.cache
def _constructor() -> type:
    from ruamel.yaml.constructor import RoundTripConstructor

    class Constructor(RoundTripConstructor):
        def construct_yaml_int(self, node: Any) -> Any:
            try:
                value = super().construct_yaml_int(node)
                str(value)  # a hex literal reads, but then cannot be printed in a message
            except ValueError:  # "Exceeds the limit (4300 digits) for integer string ..."
                return TooLongInt(len(DIGITS.sub("", node.value)))
            return value

    Constructor.add_constructor("tag:yaml.org,2002:int", Constructor.construct_yaml_int)
    return Constructor


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.Constructor = _constructor()
    return yaml


YAML_DIRECTIVE = re.compile(r"%YAML(?:[ \t]+(\S*))?[ \t]*(?:#.*)?$")


def _check_version(text: str, file: str) -> None:
    """Refuse a ``%YAML`` directive other than 1.2: ruamel.yaml obeys it, and under 1.1 ``off``
    is false and ``0144`` is octal 100, silently, where colossim documents YAML 1.2."""
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith("%"):  # directives come before the document only
            return
        match = YAML_DIRECTIVE.match(line)
        if match and match.group(1) != "1.2":
            version = match.group(1) or "without a version"
            raise ConfigError(Problem(file, number, "", (
                f"%YAML {version}: colossim reads YAML 1.2 only (where off is text and 0144 "
                "is 144): remove this line")))


def parse_yaml_text(text: str, file: str, value: bool = False) -> tuple[Any, Marks]:
    """Parse one YAML document; syntax errors become a ConfigError at the offending line.
    ``value``: the text is one command-line value (``--set``), which has no lines to indent."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    _check_version(text, file)
    try:
        node = _yaml().load(text)
    except MarkedYAMLError as exc:
        raise ConfigError(Problem(file, *_describe(exc, VALUE_HINTS if value else SYNTAX_HINTS,
                                                   None if value else text))) from None
    except YAMLError as exc:  # e.g. control characters: a reader error, with a position
        first = str(exc).splitlines()[0]
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) else 1
        raise ConfigError(Problem(file, line, "", f"not valid YAML: {first}")) from None
    except RecursionError:
        raise ConfigError(Problem(file, _deep_line(text), "", "not valid YAML here: nested too "
                                  "deeply")) from None
    marks = Marks({(): (file, 1)})
    try:
        return _plain(node, (), file, marks), marks
    except RecursionError:
        raise ConfigError(Problem(file, _deep_line(text), "", "nested too deeply to be a "
                                  "scenario")) from None


DUPLICATE_VALUES = re.compile(r' with value ".*$', re.DOTALL)  # ruamel's repr of both values

DEEP = 100  # nesting levels: the parser's recursion gives out at ~250, no scenario needs 10


def _deep_line(text: str) -> int:
    """The line where collections nest more than ``DEEP`` levels, by ruamel's scanner (which,
    unlike its parser, does not recurse); line 1 if none does (an alias of itself, say)."""
    from ruamel.yaml import tokens as t
    from ruamel.yaml.error import YAMLError

    opens = (t.BlockMappingStartToken, t.BlockSequenceStartToken, t.FlowMappingStartToken,
             t.FlowSequenceStartToken)
    closes = (t.BlockEndToken, t.FlowMappingEndToken, t.FlowSequenceEndToken)
    depth = 0
    try:
        for token in _yaml().scan(text):
            depth += isinstance(token, opens) - isinstance(token, closes)
            if depth > DEEP:
                return token.start_mark.line + 1
    except YAMLError:  # a syntax error past the point the parser reached
        pass
    return 1


def _describe(exc: Any, hints: tuple[tuple[str, str], ...] = (),
              text: str | None = None) -> tuple[int | None, str, str]:
    """(line, field, message) for a ruamel syntax error, naming where an open construct began.

    A construct the scanner could not close (a quoted string, a key without its ':') is said
    at the line where it began, where the slip is; the parser saw it only later, at the end of
    the file for a quote (QA: "t.yaml:4" for a 3-line file). A mapping value found below a
    line with no ':' is said at that line, which lacks it (QA: ``pod_size_racks 2`` was blamed
    on the correct line below it, with a hint about indentation)."""
    mark, cmark = exc.problem_mark or exc.context_mark, exc.context_mark
    line = mark.line + 1 if mark is not None else None
    what = exc.problem or exc.context or "syntax error"
    if what.startswith("but ") and exc.context:  # "but found another document" needs context
        what = f"{exc.context}, {what}"
    elif "duplicate key" in what:  # the key names itself; the mapping it sits in adds nothing
        values = DUPLICATE_VALUES.search(what)
        if values and any(c in values.group() for c in "{["):  # Python dumps of whole blocks
            # (QA: with value "{'name': 'x'}" (original value: "{'pod_size_racks': 2}"))
            what = what[:values.start()] + " (a key given twice in one mapping: keep one)"
    elif (exc.context or "").startswith("while scanning") and cmark is not None \
            and line is not None and cmark.line + 1 < line:
        began = cmark.line + 1
        where = "at the end of the file" if "end of stream" in what else f"at line {line}"
        return began, "", (f"not valid YAML: {exc.context.removeprefix('while scanning ')} "
                           f"that begins on this line is not closed: {what} ({where})"
                           + next((t for start, t in SCANNED_HINTS if start in what), ""))
    elif exc.context and cmark is not None and line is not None and cmark.line + 1 != line:
        what = f"{what} ({exc.context} at line {cmark.line + 1})"
    if text is not None and line is not None and "mapping values are not allowed" in what:
        above = _line_without_colon(text, line)
        if above is not None:
            return above, "", (f"not valid YAML: this line has no ':' after its key (the parser "
                               f"stopped at line {line}: {what}); write it as key: value")
    hint = next((text for start, text in hints if start in what), "")
    return line, "", f"not valid YAML: {what}{hint}"


def _line_without_colon(text: str, line: int) -> int | None:
    """The line right above ``line`` (blank lines and comments skipped) when it is a sibling
    key missing its ':': indented as ``line`` is, text with no ':' that is no list item. Text
    indented otherwise is a block scalar's or a long value's, whose line is not at fault
    (review: a ``description: |`` line was blamed for the value with ': ' below it)."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    for number in range(line - 1, 0, -1):
        raw = lines[number - 1]
        content = raw.split(" #", 1)[0].strip()
        if not content or content.startswith("#"):
            continue
        sibling = len(raw) - len(raw.lstrip()) == indent
        return number if sibling and ":" not in content \
            and not content.startswith(("-", "[", "{")) else None
    return None


# The parser's words for the commonest slips, and what to do (QA: raw parser text, with token
# names such as '?' and <block end>, was all a new user got)
SYNTAX_HINTS = (
    ("found character '\\t'", ": YAML indents with spaces, not tabs; replace the tab on this "
     "line with spaces"),
    ("mapping values are not allowed here", ": check this line's indentation against the line "
     "above, or quote a value that holds ': '"),
    ("expected <block end>", ": a line here is indented differently from the block it belongs "
     "to; line it up with its siblings above"),
)
# after "a simple key that begins on this line is not closed": the usual cause
SCANNED_HINTS = (("could not find expected ':'", "; a key needs ': ' (a space after the "
                  "colon) before its value"),)
# a --set value has no lines: text holding ': ' or a tab is a value to quote (review)
VALUE_HINTS = tuple((start, ": if it is text, quote it: --set 'path=\"...\"'")
                    for start, _ in SYNTAX_HINTS[:2])


MAX_YAML_BYTES = 64 * 2**20  # no scenario or study comes near: a bigger "file" is not one


def _read_bounded(path: Path) -> str:
    """The file's text, refused past ``MAX_YAML_BYTES``: ``/dev/zero`` (or a file of gigabytes)
    was read whole, until the machine ran out of memory (QA). A pipe (``<(...)``) still reads."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(Problem(str(path), None, "", (
            f"larger than {MAX_YAML_BYTES // 2**20} MB, which no scenario or study is (a device "
            "such as /dev/zero, or the wrong file?)")))
    return _lines(data.decode("utf-8"))


def _lines(text: str) -> str:
    """Universal newlines, as ``read_text`` gave them: CRLF and a lone CR become LF (review: a
    CR-only file's %YAML 1.1 went unrefused and its lines were miscounted)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_yaml_file(path: Path) -> tuple[Any, Marks]:
    """Read and parse a file, turning I/O problems into ConfigErrors."""
    try:
        text = _read_bounded(path)
    except FileNotFoundError:
        raise ConfigError(Problem(str(path), None, "", "file not found")) from None
    except IsADirectoryError:
        raise ConfigError(Problem(str(path), None, "", "is a folder, not a file")) from None
    except UnicodeDecodeError as exc:  # the line of the first byte that is not UTF-8, from the
        # bytes read (review: reading the file again blocked on a FIFO, and a pipe said line 1)
        line = _lines(exc.object[:exc.start].decode("utf-8")).count("\n") + 1
        raise ConfigError(Problem(str(path), line, "", "not a UTF-8 text file (a byte here "
                                  "is not UTF-8: save the file as UTF-8)")) from None
    except OSError as exc:
        msg = f"cannot read file: {exc.strerror or exc}"
        raise ConfigError(Problem(str(path), None, "", msg)) from None
    return parse_yaml_text(text, str(path))


def _key_line(node: Any, key: Any, marks: Marks, path: PathKey, file: str) -> int | None:
    """The 1-based line of ``key`` in a mapping; keys merged in by ``<<: *anchor`` live in the
    anchored mapping, and failing that we fall back to the line of the mapping itself."""
    merged = (m[1] if isinstance(m, tuple) else m for m in getattr(node, "merge", ()))
    for source in (node, *merged):
        if key in (getattr(getattr(source, "lc", None), "data", None) or {}):
            return source.lc.key(key)[0] + 1
    return marks.where.get(path, (file, None))[1]


CORE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                      ("str", "int", "float", "bool", "null", "seq", "map"))


def shown_path(path: Iterable[str | int]) -> str:
    """A field path as messages write it: ``cluster.rack_groups[0].racks``; a key that is
    empty or has blanks at an end is quoted (``catalog['  ']``: it read ``catalog.  ``)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part or part != part.strip():
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _check_tag(node: Any, path: PathKey, file: str, marks: Marks) -> None:
    """Refuse an application tag (``!foo``, ``!!python/tuple``): nothing in colossim reads
    one, and a tagged value reached the models as an object they could only misdescribe."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag and tag not in CORE_TAGS:
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        raise ConfigError(Problem(file, marks.where.get(path, (file, None))[1], shown_path(path),
                                  f"the YAML tag {shown} is not supported: remove it"))


MAX_VALUES = 500_000  # values in one file once its aliases are expanded


def _plain(node: Any, path: PathKey, file: str, marks: Marks) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    _check_tag(node, path, file, marks)
    if len(marks.where) > MAX_VALUES:  # every value read leaves a mark: count those
        raise ConfigError(Problem(file, marks.where.get(path, (file, None))[1], shown_path(path), (
            f"the file expands to more than {MAX_VALUES:,} values (aliases of aliases of "
            "anchors?)")))
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            text, line = _key_text(key), _key_line(node, key, marks, path, file)
            if text in out:  # two keys YAML tells apart but a field name cannot: null and
                # "null", 1 and "1" (review: the first was dropped without a word)
                raise ConfigError(Problem(file, line, shown_path(path + (text,)), (
                    f"the key {text} is given twice (written two ways YAML tells apart): "
                    "keep one")))
            marks.where[path + (text,)] = (file, line)
            out[text] = _plain(value, path + (text,), file, marks)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            at = node.lc.item(i)  # None in a tagged sequence: the sequence's own line then
            marks.where[path + (i,)] = (file, at[0] + 1) if at else marks.where.get(
                path, (file, None))
            items.append(_plain(value, path + (i,), file, marks))
        return items
    # ruamel's scalar subclasses keep formatting; hand plain Python types downstream.
    if type(node).__name__ == "TaggedScalar":  # a core tag on a scalar: !!str 1.1 is text
        return str(node.value)
    if isinstance(node, datetime.date):  # YAML 1.2 has no timestamps: 2024-01-01 is text
        return str(node)
    if isinstance(node, TooLongInt):
        limit = sys.get_int_max_str_digits()
        raise ConfigError(Problem(file, marks.where.get(path, (file, None))[1], shown_path(path),
                                  f"a number of {node.digits:,} digits is too long to read "
                                  f"(at most {limit:,})"))
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    tag = {bytes: "!!binary"}.get(type(node), "!!set" if isinstance(node, set | frozenset)
                                  or type(node).__name__ == "CommentedSet" else None)
    if tag is not None:  # QA: "expected a number, got set(odict_keys(['a', 'b']))"
        raise ConfigError(Problem(file, marks.where.get(path, (file, None))[1], shown_path(path),
                                  f"the YAML tag {tag} is not supported: remove it"))
    return node


def _key_text(key: Any) -> str:
    """A mapping key as the field name messages say, in YAML's spelling: ``~: 1`` is
    ``null``, ``true: 2`` is ``true`` and ``? [a, b]`` is ``[a, b]`` (QA: they read
    ``cluster.power.None``, ``True`` and ``('a', 'b')``)."""
    if isinstance(key, bool):
        return str(key).lower()
    if key is None:
        return "null"
    if isinstance(key, tuple | list):
        return f"[{', '.join(_key_text(k) for k in key)}]"
    return str(key)
