"""Catch calls to retired models before any request leaves the process.

OpenAI answers a shut-down model with a 404 after the request was built,
counted and reserved; conduit refuses it up front, naming the successor.
The policy comes from ``conduit.toml``::

    [models]
    retired_policy = "block"      # or "warn" (send anyway) or "substitute" (use the successor)

``substitute`` follows successors until it reaches a model that is still
served (``o1-mini`` -> ``o4-mini`` -> ``gpt-5.4-mini``) and says so in the
decision, so the pipeline can record that it changed the model.
"""

from __future__ import annotations

import datetime as _dt
import logging
import warnings
from dataclasses import dataclass

from conduit.catalog.lookup import lookup_model
from conduit.errors import ConfigurationError, RetiredModelError

__all__ = ["ModelDecision", "RetiredModelWarning", "check_model", "current_successor", "retired_policy"]

logger = logging.getLogger("conduit.catalog")

POLICIES = ("block", "warn", "substitute")


class RetiredModelWarning(UserWarning):
    """A retired or soon-retired model was requested and the policy let it through."""


@dataclass(frozen=True, slots=True)
class ModelDecision:
    """What to send: ``model`` (maybe a substitute for ``requested``) and why."""

    requested: str
    model: str
    status: str  # active | deprecated | retired | unknown
    substituted: bool = False
    shutdown_on: _dt.date | None = None
    successor: str | None = None
    message: str | None = None


def retired_policy() -> str:
    """The configured policy (``[models] retired_policy``), default ``block``."""
    try:
        from conduit.settings import get_settings

        section = get_settings().config.get("models", {})
    except ConfigurationError:
        raise
    except Exception as exc:  # settings not importable: the safe default
        logger.warning("could not read [models] from conduit.toml: %s", exc)
        section = {}
    policy = section.get("retired_policy", "block") if isinstance(section, dict) else "block"
    return _validate_policy(str(policy))


def _validate_policy(policy: str) -> str:
    policy = policy.strip().lower()
    if policy not in POLICIES:
        raise ConfigurationError(
            f"Unknown retired_policy {policy!r} in [models] of conduit.toml.",
            f"Use one of: {', '.join(POLICIES)}.",
        )
    return policy


def current_successor(model: str, today: _dt.date | None = None) -> str | None:
    """The first model in ``model``'s successor chain that is not retired on ``today``."""
    seen: set[str] = set()
    name = model
    while True:
        spec = lookup_model(name)
        if spec is None or spec.successor is None or name in seen:
            return None
        seen.add(name)
        name = spec.successor
        successor = lookup_model(name)
        if successor is None:
            return name
        if successor.status(today) != "retired":
            return name


def check_model(model: str, policy: str | None = None, today: _dt.date | None = None) -> ModelDecision:
    """Decide whether ``model`` may be called; raise RetiredModelError under ``block``.

    Unknown models pass (status ``unknown``): the catalog cannot know every
    fine-tune or new release, and pricing already flags them.
    """
    spec = lookup_model(model)
    if spec is None:
        return ModelDecision(model, model, "unknown")
    status = spec.status(today)
    if status == "active":
        return ModelDecision(model, model, status)
    successor = current_successor(model, today)
    shutdown = spec.shutdown_on
    if status == "deprecated":
        message = (
            f"{model} is deprecated: OpenAI shuts it down on {shutdown.isoformat() if shutdown else 'a date to be announced'}"
            + (f"; migrate to {successor}." if successor else ".")
        )
        return ModelDecision(model, model, status, False, shutdown, successor, message)

    policy = _validate_policy(policy) if policy is not None else retired_policy()
    when = shutdown.isoformat() if shutdown else "an earlier date"
    message = f"{model} was shut down by OpenAI on {when}" + (f"; its successor is {successor}." if successor else ".")
    if policy == "substitute" and successor:
        note = f"{message} Substituting {successor} (models.retired_policy = 'substitute')."
        logger.warning(note)
        return ModelDecision(model, successor, status, True, shutdown, successor, note)
    if policy == "warn" or (policy == "substitute" and not successor):
        warnings.warn(message, RetiredModelWarning, stacklevel=2)
        logger.warning(message)
        return ModelDecision(model, model, status, False, shutdown, successor, message)
    hint = (
        f"Use model {successor!r} instead"
        if successor
        else "Choose a current model (`conduit models` lists them)"
    ) + ", or set [models] retired_policy = \"substitute\" (or \"warn\") in conduit.toml."
    raise RetiredModelError(message, hint)
