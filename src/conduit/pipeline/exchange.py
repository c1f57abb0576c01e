"""One model call as it moves through the pipeline's stages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conduit.ledger.records import new_id
from conduit.meter.base import Estimate, Meter, Payload
from conduit.pipeline.context import Scope


@dataclass(slots=True)
class Exchange:
    method: str
    path: str
    meter: Meter
    payload: Payload
    scope: Scope
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)
    requested_model: str | None = None
    model: str | None = None
    stream: bool = False
    estimate: Estimate | None = None
    reservation: Any = None
    attempt: int = 1
    note: str | None = None
    finished: bool = False
    cache_key: str | None = None

    @property
    def endpoint(self) -> str:
        return self.meter.endpoint

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0
