"""Updating a YAML baseline in place: the values change, the comments a human wrote stay where a
reader expects them.

The rule (docs/testing.md §9): the comment lines directly above a key belong to that key. They
go with it when it is removed, stay with it when it is kept, and a new key gets none. The
comment at the top of the file, end-of-line comments and the lines after the last key stay
with their lines.

ruamel does not store comments that way: lines above the first key of a mapping sit on the
mapping (and on the key that holds it), lines above any other key sit on the value before it,
possibly deep inside a nested mapping. So an update first *lifts* every full-line comment onto
the key below it (a key's "before" list, which ruamel's emitter writes above the key at any
position), then changes the keys and values, then puts the file's closing lines back after
its new last value.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

Line = tuple[int, str]  # (column, text without its indentation; "" for a blank line)


def update(previous: str, data: Mapping[str, Any]) -> str:
    """``previous`` YAML text holding ``data``'s keys and values, its comments kept (see above)."""
    yaml = _round_trip()
    kept = yaml.load(previous)
    closing: list[Line] = []
    _lift(kept, closing)  # what is left once every key has its lines: the file's closing lines
    _merge(kept, data)
    _put_after_last(kept, closing)
    buffer = io.StringIO()
    yaml.dump(kept, buffer)
    return buffer.getvalue()


def _round_trip():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.preserve_quotes = True
    yaml.width = 4096  # the produced command on one line (QA: folded over two)
    return yaml


# -- lifting every full-line comment onto the key below it -----------------------------------
def _lift(node: Any, pending: list[Line]) -> None:
    """Walk ``node`` in document order; ``pending`` holds the lines seen since the last key."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        for key, value in node.items():
            slot = node.ca.items.get(key)
            if slot and slot[1]:  # ruamel's own "before" list (e.g. after a flow value)
                pending.extend(line for token in slot[1] for line in _lines(token, False))
                slot[1] = None
            if pending:
                _slot(node, key)[1] = [_token(line) for line in pending]
                pending.clear()
            if slot and slot[2] is not None:  # its end of line, then the lines below it
                pending.extend(_cut(value, slot[2]))
                if not slot[2].value:
                    slot[2] = None
                    if isinstance(value, CommentedMap) and value.ca.comment:
                        value.ca.comment[0] = None
            if not isinstance(value, CommentedMap | CommentedSeq) or value.fa.flow_style():
                continue  # a value on its key's line (comments inside a flow one stay there)
            if isinstance(value, CommentedMap):  # lines above its first key
                first = (value.ca.comment[1] if value.ca.comment else None) or (
                    slot[3] if slot else None)
                pending.extend(line for token in first or () for line in _lines(token, False))
                if value.ca.comment:
                    value.ca.comment[1] = None
                if slot:
                    slot[3] = None
            _lift(value, pending)
    elif isinstance(node, CommentedSeq) and node:
        # comments between items stay in the list; only those after its last item move on
        last = len(node) - 1
        slot = node.ca.items.get(last)
        if slot and slot[0] is not None:
            pending.extend(_cut(node[last], slot[0]))
            if not slot[0].value:
                slot[0] = None
        _lift(node[last], pending)


def _cut(value: Any, token: Any) -> list[Line]:
    """Leave only the end-of-line comment in ``token`` (or nothing); the lines below it."""
    if _is_block_scalar(value):
        below, token.value = _lines(token, True), ""  # a block scalar has no end of line here
        return below
    eol, _, rest = token.value.partition("\n")
    token.value = eol + "\n" if eol else ""
    return [_indented(line) for line in _split(rest)]


def _is_block_scalar(value: Any) -> bool:
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    return isinstance(value, LiteralScalarString | FoldedScalarString)


def _lines(token: Any, raw: bool) -> list[Line]:
    """A token's lines; its first is at the token's column unless ``raw`` (indented in text)."""
    parts = _split(token.value)
    if not parts:
        return []
    first = _indented(parts[0]) if raw else (token.column if parts[0].strip() else 0,
                                             parts[0].lstrip(" ") if parts[0].strip() else "")
    return [first, *(_indented(part) for part in parts[1:])]


def _split(text: str) -> list[str]:
    return text.split("\n")[:-1] if text.endswith("\n") else (text.split("\n") if text else [])


def _indented(line: str) -> Line:
    text = line.lstrip(" ")
    return (len(line) - len(text), text) if text.strip() else (0, "")


def _token(line: Line) -> Any:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    return CommentToken(line[1] + "\n", CommentMark(line[0]))


def _slot(node: Any, key: Any) -> list[Any]:
    return node.ca.items.setdefault(key, [None, None, None, None])


# -- changing keys and values ----------------------------------------------------------------
def _merge(kept: Any, new: Mapping[str, Any]) -> None:
    """Make the round-trip mapping ``kept`` hold ``new``'s keys and values, in place: a removed
    key takes its comments, a new key goes after the keys before it in ``new``, with none."""
    for key in [k for k in kept if k not in new]:
        del kept[key]
        kept.ca.items.pop(key, None)
    at = 0
    for key, value in new.items():
        if key in kept:
            at = list(kept).index(key) + 1
            if isinstance(value, Mapping) and isinstance(kept[key], Mapping):
                _merge(kept[key], value)
            elif kept[key] != value or isinstance(kept[key], bool) != isinstance(value, bool):
                kept[key] = _round_trip_value(value)  # an unchanged one stays as written
            continue
        kept.insert(at, key, _round_trip_value(value))
        at += 1
    if not kept:
        kept.fa.set_flow_style()  # written "{}" on its key's line, its end-of-line comment after


def _round_trip_value(value: Any) -> Any:
    """``value`` with its mappings and lists as ruamel's, which can carry comments."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        return CommentedMap((k, _round_trip_value(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return CommentedSeq(_round_trip_value(v) for v in value)
    return value


# -- the file's closing lines ----------------------------------------------------------------
def _put_after_last(node: Any, lines: list[Line]) -> None:
    """Write ``lines`` below the last value of the document, where ruamel keeps such lines."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not lines or not isinstance(node, CommentedMap | CommentedSeq) or not node:
        return
    key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        _put_after_last(value, lines)
        return
    slot, at = _slot(node, key), (2 if isinstance(node, CommentedMap) else 0)
    if slot[at] is None:  # no end-of-line comment: the lines start on the next line
        slot[at] = _token((0, ""))
        slot[at].value = "" if _is_block_scalar(value) else "\n"  # which ends on a new line
    slot[at].value += "".join(" " * col + text + "\n" for col, text in lines)
    if isinstance(value, CommentedMap | CommentedSeq):  # a flow value keeps it on itself too
        value.ca.comment = [slot[at], value.ca.comment[1] if value.ca.comment else None]
