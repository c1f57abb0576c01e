"""Request checks that answer the way OpenAI's API does (message, ``param``, ``code``).

Client code is tested against these answers, so the wording and the ``param``
paths follow the real API (``messages[0].role``, ``code: invalid_type`` ...).
"""

from __future__ import annotations

from typing import Any, Iterable

from conduit.sandbox.errors import APIError, invalid, invalid_value, missing

# JSON type names → (python types, OpenAI's word for them in error messages)
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "a string"),
    "integer": ((int,), "an integer"),
    "number": ((int, float), "a decimal"),
    "boolean": ((bool,), "a boolean"),
    "array": ((list,), "an array"),
    "object": ((dict,), "an object"),
}


def type_word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def is_type(value: Any, kinds: str) -> bool:
    """``kinds`` is a ``|``-separated list of JSON type names (``"string|array"``)."""
    for kind in kinds.split("|"):
        if kind == "null" and value is None:
            return True
        spec = _TYPES.get(kind)
        if spec is None:
            continue
        if isinstance(value, bool) and kind != "boolean":
            continue
        if isinstance(value, spec[0]):
            if kind == "integer" and isinstance(value, float):
                continue
            return True
    return False


def check_type(value: Any, kinds: str, param: str) -> None:
    if is_type(value, kinds):
        return
    expected = " or ".join(_TYPES[k][1] for k in kinds.split("|") if k in _TYPES)
    raise invalid(
        f"Invalid type for '{param}': expected {expected}, but got {type_word(value)} instead.",
        param,
        "invalid_type",
    )


def check_params(body: dict[str, Any], spec: dict[str, str], *, strict: bool = True) -> None:
    """Reject unknown parameters (``strict``) and wrongly typed known ones.

    ``null`` is accepted for every optional parameter, as OpenAI does.
    """
    for name, value in body.items():
        kinds = spec.get(name)
        if kinds is None:
            if strict:
                raise invalid(f"Unrecognized request argument supplied: {name}")
            continue
        if value is None:
            continue
        check_type(value, kinds, name)


def require(body: dict[str, Any], name: str) -> Any:
    if name not in body or body[name] is None:
        raise missing(name)
    return body[name]


def check_range(
    value: Any, param: str, *, minimum: float | None = None, maximum: float | None = None, integer: bool = False
) -> None:
    """Bounds check; OpenAI names the parameter's declared kind (integer/decimal) in the code."""
    if value is None:
        return
    word = "integer" if integer else "decimal"
    if minimum is not None and value < minimum:
        raise invalid(
            f"Invalid '{param}': {word} below minimum value. Expected a value >= {_fmt(minimum)}, "
            f"but got {value} instead.",
            param,
            f"{word}_below_min_value",
        )
    if maximum is not None and value > maximum:
        raise invalid(
            f"Invalid '{param}': {word} above maximum value. Expected a value <= {_fmt(maximum)}, "
            f"but got {value} instead.",
            param,
            f"{word}_above_max_value",
        )


def check_enum(value: Any, param: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise invalid_value(param, value, allowed)


def check_string_length(value: Any, param: str, maximum: int) -> None:
    if isinstance(value, str) and len(value) > maximum:
        raise invalid(
            f"Invalid '{param}': string too long. Expected a string with maximum length {maximum}, "
            f"but got a string with length {len(value)} instead.",
            param,
            "string_above_max_length",
        )


def unsupported_parameter(param: str, extra: str = "") -> APIError:
    return invalid(
        f"Unsupported parameter: '{param}' is not supported with this model.{(' ' + extra) if extra else ''}",
        param,
        "unsupported_parameter",
    )


def unsupported_value(param: str, message: str) -> APIError:
    return invalid(f"Unsupported value: '{param}' {message}", param, "unsupported_value")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
