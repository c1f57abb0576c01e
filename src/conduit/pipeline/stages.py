"""Which optional stages a pipeline gets, decided from settings in one place.

Issues that add a stage (the catalog's lifecycle check, the guard's screen,
budgets) plug in here, so the client factories never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conduit.pipeline.core import BudgetGate, Screen, Validator
from conduit.meter.base import Payload
from conduit.pipeline.exchange import Exchange
from conduit.settings import Settings


@dataclass(slots=True)
class ConfiguredStages:
    validators: list[Validator] = field(default_factory=list)
    screen: Screen | None = None
    budget: BudgetGate | None = None


def check_lifecycle(exchange: Exchange) -> None:
    """Retired models are caught before any request (block / warn / substitute)."""
    from conduit.catalog import check_model

    if not exchange.model:
        return
    decision = check_model(exchange.model)
    if not decision.substituted:
        return
    if exchange.payload.json is None:  # an upload: its model field is not rewritten, so say so before sending
        from conduit.errors import RetiredModelError

        when = f" on {decision.shutdown_on.isoformat()}" if decision.shutdown_on else ""
        raise RetiredModelError(
            f"{exchange.model} was shut down by OpenAI{when}; its successor is {decision.model}, but uploads "
            "(multipart requests) are not rewritten by retired_policy = \"substitute\".",
            f"Pass model={decision.model!r} for this upload.",
        )
    exchange.payload.set_json({**exchange.payload.json, "model": decision.model})
    exchange.model = decision.model
    exchange.note = decision.message


def budget_gate(settings: Settings) -> BudgetGate:
    """Budgets from conduit.toml, Python and the ledger database (conduit.budget)."""
    from conduit.budget.gate import BudgetGate as _Gate

    return _Gate(settings.db_url)


def check_parameters(exchange: Exchange) -> None:
    """The model's parameter rules (token-limit name, temperature, sizes, voices...) from the catalog."""
    from conduit.catalog.validation import check_request

    if exchange.model and exchange.payload.json is not None:
        check_request(exchange.model, exchange.endpoint, exchange.payload.json)


def guard_screen(settings: Settings) -> Screen:
    """The guard's screen stage: size/control-character limits, secrets, injection (``[guard]``)."""
    from conduit.guard.policy import GuardPolicy, screen_request

    policy = GuardPolicy.from_config(settings.section("guard"))

    def screen(endpoint: str, payload: Payload) -> None:
        if payload.json is None:
            return
        body = screen_request(endpoint, payload.json, policy)
        if body is not payload.json:  # redacted or sanitised: send the changed copy
            payload.set_json(body)

    return screen


def configured_stages(settings: Settings) -> ConfiguredStages:
    validators: list[Validator] = [check_lifecycle, check_parameters]
    from conduit.media.moderation import moderation_validator

    moderation = moderation_validator(settings)  # [media] moderate_prompts; off unless configured
    if moderation is not None:
        validators.append(moderation)
    return ConfiguredStages(validators=validators, screen=guard_screen(settings), budget=budget_gate(settings))
