"""The base of every config model, kept apart so sub-schemas import it without a cycle.

``schema.py`` imports the sub-schemas (``training.py``) and they import ``Frozen``; if ``Frozen``
lived in ``schema.py`` the two modules would import each other.
"""

from __future__ import annotations

import types
import typing
import unicodedata
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.fields import FieldInfo


class FieldValueError(ValueError):
    """A whole-model check that blames one field, so the loader reports that field's file:line
    (pydantic places model-validator errors on the model, not on the field at fault).

    ``alternatives`` are other ``(field, message)`` ways to say the same thing when two fields
    disagree (min above max): the loader blames the one an override set, if any.
    """

    def __init__(self, field: str, message: str, alternatives: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.field = field
        self.alternatives = alternatives


CONTROL = frozenset({"Cc", "Zl", "Zp"})  # Unicode's control characters and line breaks


def has_control(text: str) -> bool:
    """Does ``text`` hold a control character or a line break? A no-break space or an emoji
    joined by a zero-width joiner is printable (``str.isprintable`` refused them: review)."""
    return any(unicodedata.category(ch) in CONTROL for ch in text)


def printable(value: str) -> str:
    """A name printed in tables and titles: no control characters (QA: an ESC in a scenario's
    name recoloured the terminal through the table's title; job names were refused already)."""
    if has_control(value):
        raise ValueError(f"{value!r} holds a control character")
    return value


Label = Annotated[str, AfterValidator(printable)]  # a name colossim prints


def raise_all(title: str, errors: list[ValueError]) -> None:
    """Raise every independent problem a whole-model check found, not the first only (QA: a
    job's min above max and its missing samples_million took two passes of validate). One is
    raised as it is; several as one ValidationError whose entries keep their FieldValueError,
    so the loader still blames each one's field."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        from pydantic_core import InitErrorDetails, ValidationError

        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type="value_error", loc=(), input=None, ctx={"error": error})
            for error in errors])


@cache
def _scalar_kinds(annotation: Any) -> frozenset[type]:
    """The plain scalar types an annotation such as ``int | None`` admits."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return frozenset().union(*(_scalar_kinds(a) for a in typing.get_args(annotation)))
    if typing.get_origin(annotation) is typing.Annotated:  # Annotated[float, Field(gt=0)]
        return _scalar_kinds(typing.get_args(annotation)[0])
    return frozenset({annotation}) & {bool, int, float}


@cache
def _admits_text(annotation: Any) -> bool:
    """Does the annotation take a string anywhere (``str``, a ``Literal`` of words, ...)?"""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_admits_text(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return any(isinstance(a, str) for a in typing.get_args(annotation))
    if origin in (list, tuple, dict, set, frozenset):
        return False  # a container: a string is no list, whatever the list holds
    return annotation not in (bool, int, float, type(None))


@cache
def _admits_any_text(annotation: Any) -> bool:
    """Does the annotation take free text (``str``), not only some words (``Literal``)? A
    quoted number in ``float | Literal["auto"]`` is none of its words: pydantic took '120' as
    the number 120 (QA), where a plain number field refuses it."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_admits_any_text(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _admits_any_text(typing.get_args(annotation)[0])
    return origin is not typing.Literal and _admits_text(annotation)


@cache
def _numbers_only(annotation: Any) -> bool:
    """Is the annotation a list or tuple of numbers (``tuple[float, float, float]``)?"""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_numbers_only(a) for a in typing.get_args(annotation))
    if typing.get_origin(annotation) not in (list, tuple):
        return False
    items = [a for a in typing.get_args(annotation) if a is not Ellipsis]
    return bool(items) and all(a in (int, float) for a in items)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def empty_means_default(field: FieldInfo) -> bool:
    """Does null (a key with every entry under it commented out) mean the field's default? For
    a block (a field holding one model: its defaults, as if written ``{}``) and for a list or
    mapping that is empty by default (``events:``, ``maintenance:``, ``catalog:``). The
    loader reads it so, and the editor schema allows null exactly there
    (``editor_schema``); a field that may be null anyway (``X | None``) is not one of these."""
    annotation = field.annotation
    if _is_model(annotation):
        return True
    if typing.get_origin(annotation) not in (list, tuple, dict):
        return False
    default = field.get_default(call_default_factory=True)
    return isinstance(default, list | tuple | dict) and not default


def fill_empty_blocks(data: dict[str, Any], model: type[BaseModel]) -> None:
    """Write each null that means a default (``empty_means_default``) as that default, in place,
    at every depth of a file's data. The schema reads such a null so anyway, but includes and
    ``--set`` come first: a commented-out block replaced the included file's whole block (its
    spares, its seed) and refused ``--set reliability.enabled=false`` into it (QA)."""
    for key, value in list(data.items()):
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            continue
        if value is None and empty_means_default(field):
            default = {} if _is_model(field.annotation) else field.get_default(
                call_default_factory=True)
            data[key] = value = dict(default) if isinstance(default, dict) else list(default)
        inner, shape = block_model(field.annotation)
        if inner is None:
            continue
        items = [value] if shape == "one" else value if shape == "items" and isinstance(
            value, list) else list(value.values()) if shape == "values" and isinstance(
            value, dict) else []
        for item in items:
            if isinstance(item, dict):
                fill_empty_blocks(item, inner)


def block_model(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds, and how: ``one`` block, list or tuple ``items``, or mapping
    ``values`` (``X | None`` is X; containers of containers are looked through); (None, "")
    for plain values and unions of several types. Shared by ``fill_empty_blocks`` and the
    overrides' walk (``overrides.seed_defaults``)."""
    shape, hint = "one", annotation
    while hint is not None:
        if _is_model(hint):
            return hint, shape
        args = [a for a in typing.get_args(hint) if a is not type(None) and a is not Ellipsis]
        origin = typing.get_origin(hint)
        container = origin in (tuple, list, dict)
        if container and shape == "one":
            shape = "values" if origin is dict else "items"
        hint = args[-1] if args and (container or len(args) == 1) else None
    return None, ""


class Frozen(BaseModel):
    """Base for every config model: immutable (so hashable and cacheable), unknown keys refused,
    numbers finite (``.inf`` and ``.nan`` are YAML numbers no field means)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_bools(cls, value: Any, info: ValidationInfo) -> Any:
        """Booleans are YAML ``true``/``false`` only, and never stand in for numbers.

        YAML 1.2 reads ``on``/``yes``/``off``/``no`` as strings; pydantic would quietly turn
        them back into booleans (and ``true`` into the number 1), so the file would mean one
        thing to an editor checking the JSON Schema and another to colossim.
        """
        field = cls.model_fields[info.field_name]
        annotation = field.annotation
        if value is None and empty_means_default(field):
            # a block, list or mapping with every entry commented out: its defaults
            return {} if _is_model(annotation) else field.get_default(call_default_factory=True)
        if isinstance(value, list | tuple) and _numbers_only(annotation):
            quoted = next((v for v in value if isinstance(v, str) and _numeric(v)), None)
            if quoted is not None:  # {range: ["1", 3, 1]}: the item is text, as a field's is
                raise ValueError(f"expected numbers, got the text {quoted!r} among them "
                                 f"({_as_number_hint(quoted)})")
            if any(isinstance(v, bool) for v in value):  # [true]: pydantic took it as 1.0
                flag = str(next(v for v in value if isinstance(v, bool))).lower()
                raise ValueError(f"expected numbers, got {flag} among them")
        kinds = _scalar_kinds(annotation)
        if not kinds:
            return value
        if kinds == {bool} and not isinstance(value, bool):
            from colossim.config.messages import shown  # YAML's spelling (QA: {'a': False})

            raise ValueError(f"expected true or false, got {shown(value)}")
        if bool not in kinds and isinstance(value, bool):  # "a whole number" for an int (QA)
            wanted = "expected a whole number" if kinds == {int} else "expected a number"
            raise ValueError(f"{wanted}, got {str(value).lower()}")
        if isinstance(value, str) and not _admits_any_text(annotation) and _numeric(value):
            # YAML reads '4' and "70" as text; pydantic would quietly take them as numbers, so
            # the file would mean one thing to an editor and another to colossim
            raise ValueError(f"expected a number, got the text {value!r} "
                             f"({_as_number_hint(value)})")
        return value


def _as_number_hint(text: str) -> str:
    """How to make ``text`` a number: unquote it, or, for digits YAML does not read as a number
    (full-width １４４, Arabic-Indic ١٤٤, which Python's float() takes), write them in ASCII.
    ``inf`` and ``nan`` are text in YAML whether quoted or not, and no field takes them (QA:
    an unquoted ``inf`` was told to remove its quotes)."""
    if text.strip().lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return "a finite number is needed: YAML reads inf and nan as text"
    return "remove the quotes" if text.isascii() else "write it with the digits 0-9"


def _numeric(text: str) -> bool:
    """Would pydantic's lax mode read this text as a number?"""
    try:
        float(text.strip())
    except ValueError:
        return False
    return True
