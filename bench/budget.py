"""Budget reservations per second at 1, 8 and 32 concurrent workers, on SQLite and PostgreSQL.

Each worker loops: reserve a worst case on two budgets (global + user) in one
transaction, then settle it to a smaller actual -- the two writes every
budgeted call makes. Workers are processes by default (true parallelism, the
multi-process case budgets must survive) or threads (``--threads``).

    python bench/budget.py                       # SQLite; PostgreSQL too if CONDUIT_TEST_POSTGRES is set
    python bench/budget.py --postgres postgresql://user@127.0.0.1:5432/db --seconds 3

Prints reservations/s (reserve+settle cycles) and reserve latency p50/p99.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))


def _loop(db: str, seconds: float, start: Any, ready: Any, worker: int) -> tuple[int, list[float]]:
    from conduit.budget import Budget, Charge
    from conduit.budget.store import store_for

    store = store_for(db)
    budgets = {b.key: b for b in (Budget("global", "1000000"), Budget(f"user:u{worker % 4}", "1000000"))}
    charge = Charge(user=f"u{worker % 4}")
    store.release(store.reserve(charge, 1, budgets).reservation.id)  # connect and warm up before the clock
    ready()
    while not start.value:
        time.sleep(0.001)
    stop = start.value + seconds
    count = 0
    latencies: list[float] = []
    while time.time() < stop:
        t0 = time.perf_counter()
        outcome = store.reserve(charge, 2_000_000, budgets, ttl=600)
        latencies.append(time.perf_counter() - t0)
        assert outcome.reservation is not None
        store.settle(outcome.reservation.id, 1_000_000)
        count += 1
    return count, latencies


def _process_entry(db: str, seconds: float, start: Any, worker: int, queue: Any) -> None:
    queue.put(_loop(db, seconds, start, lambda: queue.put("ready"), worker))


class _Start:
    """The start signal for threads (processes share a multiprocessing Value)."""

    value = 0.0


def run(db: str, workers: int, seconds: float, threads: bool) -> tuple[float, float, float]:
    """(reservations/s, p50 ms, p99 ms) for ``workers`` concurrent workers."""
    from conduit.budget.store import store_for

    store_for(db)  # migrate once before the clock starts
    results: list[tuple[int, list[float]]] = []
    if threads:
        lock = threading.Lock()
        start = _Start()
        arrived = threading.Semaphore(0)

        def target(i: int) -> None:
            result = _loop(db, seconds, start, arrived.release, i)
            with lock:
                results.append(result)

        pool = [threading.Thread(target=target, args=(i,)) for i in range(workers)]
        for t in pool:
            t.start()
        for _ in pool:
            arrived.acquire()
        start.value = time.time()
        for t in pool:
            t.join()
    else:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        shared = ctx.Value("d", 0.0)
        procs = [ctx.Process(target=_process_entry, args=(db, seconds, shared, i, queue)) for i in range(workers)]
        for p in procs:
            p.start()
        for _ in procs:
            assert queue.get(timeout=300) == "ready"
        shared.value = time.time()
        results = [queue.get(timeout=seconds + 120) for _ in procs]
        for p in procs:
            p.join()
    total = sum(count for count, _ in results)
    latencies = sorted(x for _, lat in results for x in lat)
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
    return total / seconds, p50, p99


def _check(db: str) -> str:
    """After the run: nothing reserved, spend equals the settled cycles."""
    from conduit.budget.store import store_for

    store = store_for(db)
    usage = store.usage("global@total", "total")
    active = len(store.reservations("active"))
    return f"reserved after run: {Decimal(usage.reserved) / 10**9} USD, active reservations: {active}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured time per configuration")
    parser.add_argument("--workers", default="1,8,32", help="comma-separated worker counts")
    parser.add_argument("--threads", action="store_true", help="threads in one process instead of processes")
    parser.add_argument("--postgres", default=os.environ.get("CONDUIT_TEST_POSTGRES"), help="PostgreSQL URL (a scratch schema is used)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    mode = "threads" if args.threads else "processes"
    print(f"budget reservations (reserve on 2 budgets + settle), {mode}, {args.seconds:.0f}s each, {os.cpu_count()} CPUs")
    print(f"{'backend':<10} {'workers':>7} {'reservations/s':>15} {'reserve p50 ms':>15} {'reserve p99 ms':>15}")
    if not args.no_sqlite:
        for n in counts:
            with tempfile.TemporaryDirectory() as tmp:
                db = os.path.join(tmp, "ledger.db")
                rate, p50, p99 = run(db, n, args.seconds, args.threads)
                print(f"{'sqlite':<10} {n:>7} {rate:>15,.0f} {p50:>15.2f} {p99:>15.2f}   ({_check(db)})")
    if args.postgres:
        from conduit.ledger.postgres import scratch_schema

        for n in counts:
            with scratch_schema(args.postgres, "bench_budget") as db:
                rate, p50, p99 = run(db, n, args.seconds, args.threads)
                print(f"{'postgres':<10} {n:>7} {rate:>15,.0f} {p50:>15.2f} {p99:>15.2f}   ({_check(db)})")
    else:
        print("postgres: skipped (set CONDUIT_TEST_POSTGRES or pass --postgres URL)")


if __name__ == "__main__":
    main()
