"""Time as the resilience layer sees it: injectable, so tests never really sleep.

Backoff waits, rate-limit queueing and circuit-breaker cool-downs all read
``now()`` and wait with ``sleep``/``asleep`` of one :class:`Clock`. The
process default is :class:`SystemClock`; tests and ``bench/faults.py --virtual``
use :class:`FakeClock`, whose sleeps return at once, advance virtual time and
are recorded, so assertions can name the exact waits.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds plus the two ways to wait for them."""

    def now(self) -> float: ...

    def wall(self) -> float:
        """Seconds since the epoch: the time base processes sharing a rate limit agree on."""
        ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: ``time.monotonic``, ``time.sleep``, ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """Virtual time for tests: every sleep returns at once and moves the clock forward.

    ``sleeps`` lists every wait requested, in order, so a test can assert
    "waited 1.5 s after the 429" without waiting at all. Thread-safe.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(float(seconds))
            self._now += max(0.0, float(seconds))

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)  # still yield, as a real sleep would

    @property
    def total_slept(self) -> float:
        return sum(self.sleeps)
