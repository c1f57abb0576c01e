"""Governed client vs raw openai client against the sandbox on loopback.

Prints p50/p95 latency and client CPU per request, sequential and at
concurrency 8, and the governed/raw ratios. The sandbox runs in its own
process so its CPU is not charged to the client. Counting, pricing and the
ledger write are all included in the governed figures.

    python bench/overhead.py [--requests 400]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from _sandbox import free_port, wait_port




SYSTEM = {"role": "system", "content": "You are a concise assistant."}
CITIES = ["Francia", "Portugal", "Italia", "Alemania", "Chile", "Perú", "Japón", "Kenia"]


def _messages(i: int) -> list[dict[str, str]]:
    # a new user message every request, so token counts and guard verdicts are not all memo hits
    question = f"¿Cuál es la capital de {CITIES[i % len(CITIES)]}? Pregunta número {i}; answer in one word, please."
    return [SYSTEM, {"role": "user", "content": question}]


def run(client, n: int, concurrency: int) -> tuple[list[float], float]:
    def one(i: int) -> float:
        t0 = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=_messages(i), max_completion_tokens=32)
        return (time.perf_counter() - t0) * 1000

    for i in range(20):  # warm-up
        one(-1 - i)
    cpu0 = time.process_time()
    if concurrency == 1:
        lat = [one(i) for i in range(n)]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            lat = list(pool.map(one, range(n)))
    cpu = (time.process_time() - cpu0) * 1000 / n
    return lat, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
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
        os.environ["CONDUIT_DB"] = os.path.join(tempfile.mkdtemp(), "bench.db")
        os.environ["OPENAI_API_KEY"] = "sk-sandbox-bench"
        import openai

        import conduit

        raw = openai.OpenAI(api_key="sk-sandbox-bench", base_url=base, max_retries=0)
        governed = conduit.OpenAI(base_url=base)
        print(f"{'mode':<12}{'client':<10}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms/req':>12}")
        for concurrency in (1, 8):
            results = {}
            for name, client in (("raw", raw), ("governed", governed)):
                lat, cpu = run(client, args.requests, concurrency)
                p50 = statistics.median(lat)
                p95 = statistics.quantiles(lat, n=20)[18]
                results[name] = (p50, cpu)
                mode = "sequential" if concurrency == 1 else f"conc {concurrency}"
                print(f"{mode:<12}{name:<10}{p50:>9.2f}{p95:>9.2f}{cpu:>12.2f}")
            ratio = results["governed"][0] / results["raw"][0]
            cpu_extra = results["governed"][1] - results["raw"][1]
            print(f"{'':<12}{'ratio':<10}{ratio:>9.3f}x p50; +{cpu_extra:.2f} ms CPU/request governed")
        conduit.open_ledger().flush()
        print(f"ledger rows: {conduit.open_ledger().totals()['exchanges']}")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
