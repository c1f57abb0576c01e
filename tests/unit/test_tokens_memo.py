"""The per-message memo never changes a count: properties over random conversations."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from conduit.tokens import clear_count_cache, count_message_tokens

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
_message = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant"]), "content": _text}),
    st.fixed_dictionaries({"role": st.just("user"), "name": st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
                           "content": _text}),
    st.fixed_dictionaries({"role": st.just("user"), "content": st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": _text}), min_size=1, max_size=3)}),
)
_conversation = st.lists(_message, max_size=12)


@settings(max_examples=60, deadline=None)
@given(_conversation, _conversation, st.sampled_from(["gpt-4o", "gpt-4", "gpt-3.5-turbo-0301"]))
def test_counts_are_additive_and_memo_independent(first: list[dict], second: list[dict], model: str) -> None:
    warm_total = count_message_tokens(first + second, model)
    clear_count_cache()
    cold_total = count_message_tokens(first + second, model)
    assert warm_total == cold_total
    # every message is counted independently; the 3 priming tokens are added once per request
    assert cold_total == count_message_tokens(first, model) + count_message_tokens(second, model) - 3


def test_concurrent_counting_agrees() -> None:
    conversation = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i} " * (i % 17 + 1)}
                    for i in range(300)]
    clear_count_cache()
    expected = count_message_tokens(conversation, "gpt-4o")
    clear_count_cache()
    results: list[int] = []

    def work() -> None:
        for _ in range(5):
            results.append(count_message_tokens(conversation, "gpt-4o"))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 30
