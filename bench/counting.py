"""Counting speed: cold vs memoised on a ~100K-token conversation (prints figures; not a test).

A chat agent re-counts its whole conversation before every call (to estimate
and reserve the worst-case cost). conduit memoises each message's count, so
the re-count after a new turn should cost only the new messages.

Run:  python bench/counting.py [--tokens 100000] [--model gpt-4o] [--repeat 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from conduit.tokens import clear_count_cache, count_message_tokens, count_tokens, encoding_for_model

_WORDS = (
    "the budget reservation settles against the ledger while the agent calls tools and the model answers "
    "with structured output about invoices shipping weather calendars and code reviews in several languages "
    "como la capital de Francia es París y los precios cambian cada mes según el modelo elegido"
).split()


def build_conversation(target_tokens: int, model: str, seed: int = 7) -> list[dict[str, str]]:
    """A user/assistant conversation of about ``target_tokens`` tokens."""
    rng = random.Random(seed)
    messages = [{"role": "system", "content": "You are a careful assistant that answers briefly."}]
    total = 0
    turn = 0
    while total < target_tokens:
        role = "user" if turn % 2 == 0 else "assistant"
        length = rng.randint(60, 600)
        text = " ".join(rng.choice(_WORDS) for _ in range(length)) + f" ({turn})"
        messages.append({"role": role, "content": text})
        total += count_tokens(text, model) + 4
        turn += 1
    return messages


def _time(fn: object, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--model", default="gpt-4o")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    load_start = time.perf_counter()
    encoding_for_model(args.model)
    load_ms = (time.perf_counter() - load_start) * 1000

    conversation = build_conversation(args.tokens, args.model)
    clear_count_cache()
    total = count_message_tokens(conversation, args.model)

    def cold() -> None:
        clear_count_cache()
        count_message_tokens(conversation, args.model)

    def warm() -> None:
        count_message_tokens(conversation, args.model)

    turns = iter(range(10**9))

    def grow() -> None:
        # the agent's pattern: every earlier message is memoised, one new (never seen) message arrives
        new_turn = {"role": "user", "content": f"And what does that cost per month, including cached input? #{next(turns)}"}
        count_message_tokens(conversation + [new_turn], args.model)

    cold_s = _time(cold, args.repeat)
    count_message_tokens(conversation, args.model)
    warm_s = _time(warm, args.repeat * 5)
    grow_s = _time(grow, args.repeat * 5)

    def ms(samples: list[float]) -> str:
        return f"p50 {statistics.median(samples) * 1000:8.3f} ms   min {min(samples) * 1000:8.3f} ms"

    print(f"conversation: {len(conversation)} messages, {total:,} tokens ({args.model})")
    print(f"encoding load (first use, sha256-verified): {load_ms:8.1f} ms")
    print(f"cold count      {ms(cold_s)}")
    print(f"memoised count  {ms(warm_s)}")
    print(f"+1 new message  {ms(grow_s)}")
    print(f"speed-up (cold / memoised p50): {statistics.median(cold_s) / statistics.median(warm_s):,.0f}x")


if __name__ == "__main__":
    main()
