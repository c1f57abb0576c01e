"""Resilience under injected faults: 1,000 governed calls, 30 % transient faults, concurrency 16.

The sandbox runs in its own process; faults are injected through its control
API with fixed seeds: 429 with Retry-After, 500, 502, 503, 504, dropped
connections, streams cut before the first byte, and slow responses past the
client's read timeout, each an equal share of 30 % of *all* requests
(retries included: a retry can fail again). A quarter of the calls stream.

Prints the success rate, attempts per call, the waits (backoff + queueing,
from the ledger's ``wait_ms``), and the ledger's consistency: one settled row
per exchange, every request the sandbox saw recorded as an attempt, no cost
on a retried attempt, the ledger total equal to the sum of what the callers
were told each call cost -- i.e. zero double charges.

    python bench/faults.py [--calls 1000] [--concurrency 16] [--fault-rate 0.3]
                           [--max-attempts 8] [--virtual] [--async]

Delays are scaled down so the run takes seconds: backoff base 50 ms, cap
1 s, Retry-After 0.2 s, read timeout 1 s against 2 s slow responses.
``--virtual`` uses a FakeClock (waits counted, not slept).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from _sandbox import free_port, wait_port  # bench/ is on sys.path when run as a script

KINDS: list[tuple[str, dict[str, Any]]] = [
    ("rate_limit", {"retry_after": 0.2}),
    ("server_error", {}),
    ("bad_gateway", {}),
    ("unavailable", {}),
    ("timeout", {}),
    ("drop", {}),
    ("stream_drop", {"after_chunks": 0}),
    ("slow", {"delay": 2.0}),
]
MESSAGES = [{"role": "user", "content": "Name three rivers of Spain, briefly."}]
MODEL = "gpt-4o-mini"




def _faults(rate: float) -> list[Any]:
    """Chained probabilities so that each kind hits rate/len(KINDS) of all requests."""
    from conduit.sandbox import Fault

    share = rate / len(KINDS)
    faults, taken = [], 0.0
    for seed, (kind, params) in enumerate(KINDS):
        faults.append(Fault(kind, count=None, probability=min(1.0, share / (1.0 - taken)), seed=seed + 1, **params))
        taken += share
    return faults


def _resilience(args: argparse.Namespace) -> Any:
    from conduit.pipeline.resilience import FakeClock, Resilience, ResilienceConfig

    config = ResilienceConfig.from_mapping(
        {
            "max_attempts": args.max_attempts,
            "base_delay": 0.05,
            "max_delay": 1.0,
            "max_total_wait": 30,
            "timeouts": {"chat.completions": 1.0},
        }
    )
    return Resilience(config, clock=FakeClock() if args.virtual else None, rng=random.Random(42))


def _one_sync(client: Any, i: int) -> tuple[str, str | None, Decimal | None]:
    import openai

    try:
        if i % 4 == 3:
            with client.chat.completions.with_streaming_response.create(
                model=MODEL, messages=MESSAGES, stream=True
            ) as response:
                exchange_id = response.headers.get("x-conduit-exchange-id")
                for _ in response.iter_lines():
                    pass
            return "ok", exchange_id, None
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
        raw.parse()
        return "ok", raw.headers.get("x-conduit-exchange-id"), Decimal(raw.headers["x-conduit-cost-usd"])
    except openai.OpenAIError as error:
        return type(error).__name__, None, None


async def _one_async(client: Any, i: int) -> tuple[str, str | None, Decimal | None]:
    import openai

    try:
        if i % 4 == 3:
            async with client.chat.completions.with_streaming_response.create(
                model=MODEL, messages=MESSAGES, stream=True
            ) as response:
                exchange_id = response.headers.get("x-conduit-exchange-id")
                async for _ in response.iter_lines():
                    pass
            return "ok", exchange_id, None
        raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
        raw.parse()
        return "ok", raw.headers.get("x-conduit-exchange-id"), Decimal(raw.headers["x-conduit-cost-usd"])
    except openai.OpenAIError as error:
        return type(error).__name__, None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--max-attempts", type=int, default=8)
    parser.add_argument("--virtual", action="store_true", help="FakeClock: count waits instead of sleeping")
    parser.add_argument("--async", dest="use_async", action="store_true", help="AsyncOpenAI + asyncio instead of threads")
    parser.add_argument("--db", help="ledger file to keep (default: a temporary one)")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "conduit.cli.app", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        base = f"http://127.0.0.1:{port}/v1"
        os.environ["CONDUIT_DB"] = args.db or os.path.join(tempfile.mkdtemp(), "faults.db")
        os.environ["OPENAI_API_KEY"] = "sk-sandbox-bench"
        os.environ["OPENAI_BASE_URL"] = base

        import conduit
        from conduit.pipeline.resilience import use_resilience
        from conduit.sandbox import RemoteSandbox

        sandbox = RemoteSandbox(base)
        sandbox.reset()
        sandbox.inject(*_faults(args.fault_rate))
        resilience = _resilience(args)

        started = time.perf_counter()
        if args.use_async:
            async def run_all() -> list[tuple[str, str | None, Decimal | None]]:
                with use_resilience(resilience):
                    client = conduit.AsyncOpenAI()
                gate = asyncio.Semaphore(args.concurrency)

                async def bounded(i: int) -> tuple[str, str | None, Decimal | None]:
                    async with gate:
                        return await _one_async(client, i)

                try:
                    return await asyncio.gather(*(bounded(i) for i in range(args.calls)))
                finally:
                    await client.close()

            results = asyncio.run(run_all())
        else:
            with use_resilience(resilience):
                client = conduit.OpenAI()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(lambda i: _one_sync(client, i), range(args.calls)))
        wall = time.perf_counter() - started

        ledger = conduit.open_ledger()
        ledger.flush()
        rows = ledger.exchanges()
        seen = [r.to_dict() for r in sandbox.requests if r.path.endswith("/chat/completions")]
        _report(args, results, rows, seen, wall, ledger.totals())
    finally:
        server.terminate()
        server.wait(5)


def _report(
    args: argparse.Namespace,
    results: list[tuple[str, str | None, Decimal | None]],
    rows: list[dict[str, Any]],
    seen: list[dict[str, Any]],
    wall: float,
    totals: dict[str, Any],
) -> None:
    ok = sum(1 for status, _, _ in results if status == "ok")
    failures = Counter(status for status, _, _ in results if status != "ok")
    by_exchange: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_exchange.setdefault(row["exchange_id"], []).append(row)
    attempts = [len(group) for group in by_exchange.values()]
    settled_counts = Counter(sum(1 for r in group if r["status"] != "retried") for group in by_exchange.values())
    retried = [r for r in rows if r["status"] == "retried"]
    retried_charged = [r for r in retried if r["cost_usd"] not in (None, Decimal(0))]
    maybe_billed = [r for r in retried if r["price_source"] == "unknown:maybe-billed"]
    settled = {r["id"]: r for r in rows if r["status"] != "retried"}
    told = [(eid, cost) for status, eid, cost in results if status == "ok" and cost is not None]
    mismatched = [eid for eid, cost in told if eid not in settled or settled[eid]["cost_usd"] != cost]
    answered = {eid for status, eid, _ in results if status == "ok"}
    settled_sum = sum((r["cost_usd"] or Decimal(0)) for r in settled.values())
    waits = [(r["wait_ms"] or 0.0) for r in rows]
    faults = Counter(r.get("fault") or "none" for r in seen)

    mode = "async" if args.use_async else "threads"
    clock = "virtual (FakeClock)" if args.virtual else "real"
    print(f"calls {args.calls} · concurrency {args.concurrency} ({mode}) · fault rate {args.fault_rate:.0%} of requests "
          f"· max_attempts {args.max_attempts} · clock {clock}")
    print(f"requests seen by the sandbox: {len(seen)} · faults hit: "
          + ", ".join(f"{k} {v}" for k, v in sorted(faults.items()) if k != "none")
          + f" ({sum(v for k, v in faults.items() if k != 'none') / max(1, len(seen)):.1%} of requests)")
    print(f"success rate:   {ok / args.calls:.2%} ({ok}/{args.calls})" + (f" · failures: {dict(failures)}" if failures else ""))
    print(f"attempts/call:  mean {statistics.mean(attempts):.3f} · max {max(attempts)} · "
          f"histogram {dict(sorted(Counter(attempts).items()))}")
    print(f"waits:          total {sum(waits) / 1000:.2f} s over all calls · mean {statistics.mean(waits):.1f} ms per attempt"
          f" · wall {wall:.2f} s")
    print("ledger consistency:")
    print(f"  exchanges {len(by_exchange)} (calls {args.calls}) · settled once: {settled_counts.get(1, 0)}"
          f" · settled twice or more: {sum(v for k, v in settled_counts.items() if k > 1)}"
          f" · never settled: {settled_counts.get(0, 0)}")
    print(f"  attempt rows {len(rows)} = requests seen {len(seen)}: {len(rows) == len(seen)}")
    print(f"  retried attempts {len(retried)} · charged: {len(retried_charged)} · cost unknown (maybe billed): {len(maybe_billed)}")
    print(f"  answered calls with one settled 'ok' row: {sum(1 for e in answered if settled.get(e, {}).get('status') == 'ok')}/{len(answered)}")
    print(f"  cost told to callers == settled row: {len(told) - len(mismatched)}/{len(told)}")
    print(f"  ledger total ${totals['cost_usd']} == sum of settled rows ${settled_sum}: {totals['cost_usd'] == settled_sum}")
    double = sum(v for k, v in settled_counts.items() if k > 1) + len(retried_charged) + len(mismatched)
    print(f"  double charges: {double}")


if __name__ == "__main__":
    main()
