"""Which optional stages a pipeline gets, decided from settings in one place.

Issues that add a stage (the catalog's lifecycle check, the guard's screen,
budgets) plug in here, so the client factories never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conduit.pipeline.core import BudgetGate, Screen, Validator
from conduit.settings import Settings


@dataclass(slots=True)
class ConfiguredStages:
    validators: list[Validator] = field(default_factory=list)
    screen: Screen | None = None
    budget: BudgetGate | None = None


def configured_stages(settings: Settings) -> ConfiguredStages:
    return ConfiguredStages()
