"""The governed pipeline: stages, transport, client factories."""

from conduit.pipeline.context import Scope, current_scope, scope
from conduit.pipeline.core import STAGES, Pipeline
from conduit.pipeline.exchange import Exchange

__all__ = ["STAGES", "Exchange", "Pipeline", "Scope", "current_scope", "scope"]
