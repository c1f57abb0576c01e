"""OpenAI-shaped error responses.

Every refusal the sandbox makes is raised as :class:`APIError` and rendered
as ``{"error": {"message", "type", "param", "code"}}`` with the status code
the real API uses, so client code (and the ``openai`` SDK's exception
mapping) sees exactly what it would see in production.
"""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    """An error the simulated API returns to the caller (not a sandbox bug)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> APIError:
    """A 400 ``invalid_request_error`` naming the offending parameter."""
    return APIError(400, message, param=param, code=code)


def missing(param: str) -> APIError:
    return invalid(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def invalid_value(param: str, value: Any, allowed: list[str] | tuple[str, ...] | None = None) -> APIError:
    if allowed:
        quoted = [f"'{a}'" for a in allowed]
        listing = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
        message = f"Invalid value: '{value}'. Supported values are: {listing}."
    else:
        message = f"Invalid value for '{param}': {value!r}."
    return invalid(message, param, "invalid_value")


def model_not_found(model: str) -> APIError:
    return APIError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        param=None,
        code="model_not_found",
    )


def unauthorized(message: str, code: str | None) -> APIError:
    return APIError(401, message, type="invalid_request_error", param=None, code=code)
