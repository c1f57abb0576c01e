"""Splitting TTS input at sentence boundaries; joining transcripts of overlapping audio parts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conduit.media.text import SPEECH_INPUT_LIMIT, merge_transcripts, split_text

SPANISH = (
    "Hola, ¿cómo estás hoy? Espero que bien. ¡Qué día tan bonito! "
    "Mañana iremos al mercado: compraremos pan, queso y fruta. "
)


def test_short_text_is_one_chunk() -> None:
    assert split_text("Hola, ¿cómo estás hoy?") == ["Hola, ¿cómo estás hoy?"]
    assert split_text("   ") == []


def test_long_text_splits_at_sentence_ends_under_the_limit() -> None:
    text = SPANISH * 120  # ~14k characters
    chunks = split_text(text)
    assert len(chunks) >= 4
    assert all(len(chunk) <= SPEECH_INPUT_LIMIT for chunk in chunks)
    # every chunk ends where a sentence ends (the next one starts a new sentence)
    assert all(re.search(r"[.!?]$", chunk) for chunk in chunks)
    assert " ".join(chunks).split() == text.split()


def test_greedy_packing_uses_few_requests() -> None:
    sentence = "Esta es una frase de prueba bastante corriente. "  # 48 chars
    chunks = split_text(sentence * 200, limit=1000)
    assert [len(c) for c in chunks[:-1]] == [len(chunks[0])] * (len(chunks) - 1)
    assert all(950 <= len(c) <= 1000 for c in chunks[:-1])


def test_over_long_sentence_falls_back_to_clauses_then_spaces() -> None:
    clauses = ", ".join(["una cláusula con varias palabras"] * 40) + "."
    chunks = split_text(clauses, limit=200)
    assert all(len(c) <= 200 for c in chunks)
    assert all(c.endswith((",", ".")) for c in chunks)
    words = " ".join(["palabra"] * 100)
    assert all(len(c) <= 50 for c in split_text(words, limit=50))
    assert split_text("x" * 120, limit=50) == ["x" * 50, "x" * 50, "x" * 20]


def test_paragraph_breaks_are_boundaries() -> None:
    text = "Primer párrafo sin punto final\n\nSegundo párrafo."
    assert split_text(text, limit=35) == ["Primer párrafo sin punto final", "Segundo párrafo."]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdeñ ¿?¡!.,;\n", min_size=1, max_size=80), min_size=1, max_size=40),
       st.integers(min_value=20, max_value=300))
def test_split_never_exceeds_limit_and_keeps_words(parts: list[str], limit: int) -> None:
    text = " ".join(parts)
    chunks = split_text(text, limit=limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join(" ".join(chunks).split()) == "".join(text.split())


def test_merge_drops_words_repeated_across_the_seam() -> None:
    previous = "Buenos días a todos. Hoy vamos a hablar del presupuesto del año"
    following = "Presupuesto del año que viene y de las inversiones."
    assert merge_transcripts(previous, following) == (
        "Buenos días a todos. Hoy vamos a hablar del presupuesto del año que viene y de las inversiones."
    )


def test_merge_tolerates_recognition_differences_at_the_edges() -> None:
    # the overlap's first word was cut mid-syllable in the second part ("blar" for "hablar")
    previous = "y entonces empezamos a hablar del proyecto nuevo"
    following = "blar del proyecto nuevo con el equipo"
    assert merge_transcripts(previous, following) == "y entonces empezamos a hablar del proyecto nuevo con el equipo"


def test_merge_without_common_words_concatenates() -> None:
    assert merge_transcripts("Primera parte.", "Segunda parte distinta.") == "Primera parte. Segunda parte distinta."
    assert merge_transcripts("", "solo") == "solo"
    assert merge_transcripts("solo", "  ") == "solo"


def test_invalid_limit() -> None:
    with pytest.raises(ValueError):
        split_text("hola", limit=0)
