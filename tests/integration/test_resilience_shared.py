"""A shared rate limit holds across processes: two workers draw from one bucket in the ledger DB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_WORKER = """
import json, sys
from conduit.ledger import open_ledger
from conduit.pipeline.resilience import RateLimitRule, SharedRateLimiter, SystemClock
limiter = SharedRateLimiter(RateLimitRule(rpm=40, shared=True), SystemClock(), open_ledger(sys.argv[1]), "http://api gpt-4o")
print(json.dumps([limiter.take(0).wait for _ in range(30)]))
"""


def test_two_processes_share_one_requests_per_minute_budget(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    from conduit.ledger import open_ledger

    open_ledger(db)  # migrate once before the workers race
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, db], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    waits = sorted(w for proc in workers for w in json.loads(proc.communicate(timeout=60)[0]))
    assert all(proc.returncode == 0 for proc in workers)
    # 60 requests against 40 per minute: 40 go at once, the other 20 are paced 1.5 s apart,
    # whichever process asked (a per-process limit would have let all 60 through)
    assert waits[:40] == [0.0] * 40
    paced = waits[40:]
    assert len(paced) == 20
    for k, wait in enumerate(paced, start=1):
        assert abs(wait - 1.5 * k) < 0.75, (k, wait)
