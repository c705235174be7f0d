"""Errors in the tool's own words: pydantic validation errors of user files (policies, mocks) as plain sentences
with "did you mean", and a did-you-mean helper for names (rule ids, pages, handlers, keys)."""

from __future__ import annotations

import difflib
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """`` (did you mean 'x'?)`` for the closest choices, or an empty string."""
    close = difflib.get_close_matches(str(name), list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """The field names the model accepts at ``loc`` (the path of the unknown key, the key itself excluded)."""
    current: Any = model
    skip_key = False
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:  # the key of a dict[str, Model]
            skip_key = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        skip_key = _is_dict(field.annotation)
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _is_dict(annotation: Any) -> bool:
    if getattr(annotation, "__origin__", None) is dict:
        return True
    return any(_is_dict(a) for a in getattr(annotation, "__args__", ()) or ())


def _inner_model(annotation: Any) -> Any:
    """The model inside ``X``, ``X | None``, ``list[X]``, ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


MESSAGES = {
    "missing": "this key is required",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "string_type": "expected a text string",
    "list_type": "expected a list",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}


def _describe(err: dict[str, Any], model: type[BaseModel] | None) -> tuple[str, str]:
    loc = tuple(err.get("loc") or ())
    where = ".".join(str(x) for x in loc) or "(top level)"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        choices = _fields_at(model, loc[:-1]) if model is not None else []
        hint = did_you_mean(key, choices)
        if not hint and choices:
            hint = f" (known keys: {', '.join(choices[:20])})"
        return where, f"unknown key{hint}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        ctx = err.get("ctx") or {}
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "?")
        return where, f"must be {op} {bound}"
    if kind in ("literal_error", "enum"):
        expected = (err.get("ctx") or {}).get("expected", "")
        return where, f"must be one of {expected}, not {err.get('input')!r}"[:300]
    if kind in MESSAGES:
        got = err.get("input")
        shown = "" if kind == "missing" else f", not {got!r}"[:80]
        return where, MESSAGES[kind] + shown
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return where, msg


def explain(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One ``where: what`` line per error, in the tool's words (never pydantic's)."""
    return [f"{where}: {what}" for where, what in (_describe(e, model) for e in exc.errors())]
