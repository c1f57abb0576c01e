"""Responses, embeddings and moderations are estimated, priced and recorded like chat."""

from __future__ import annotations

from decimal import Decimal

import pytest

import conduit
from conduit.ledger import open_ledger


def _rows_by_endpoint() -> dict[str, dict]:
    return {r["endpoint"]: r for r in open_ledger().exchanges()}


def test_responses_estimate_counts_the_same_prompt_as_the_server(sandbox_env) -> None:
    client = conduit.OpenAI()
    response = client.responses.create(
        model="gpt-5.4-mini", input="¿Cuál es la capital de Francia?", instructions="Sé breve.", max_output_tokens=100
    )
    row = _rows_by_endpoint()["responses"]
    assert row["input_tokens"] == response.usage.input_tokens
    assert row["estimated_input_tokens"] == response.usage.input_tokens
    assert row["output_tokens"] == response.usage.output_tokens
    assert row["reasoning_tokens"] == response.usage.output_tokens_details.reasoning_tokens
    assert row["cost_usd"] == conduit.price(
        "gpt-5.4-mini",
        conduit.Usage(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
                      reasoning_tokens=row["reasoning_tokens"]),
    )
    assert row["estimate_usd"] >= row["cost_usd"] > 0


def test_streamed_response_is_priced_from_response_completed(sandbox_env) -> None:
    client = conduit.OpenAI()
    events = list(client.responses.create(model="gpt-5.4-mini", input="hola", stream=True))
    completed = [e for e in events if e.type == "response.completed"][0]
    row = _rows_by_endpoint()["responses"]
    assert row["stream"] and row["status"] == "ok"
    assert row["output_tokens"] == completed.response.usage.output_tokens
    assert row["cost_usd"] > 0


def test_embeddings_are_estimated_exactly_and_priced(sandbox_env) -> None:
    client = conduit.OpenAI()
    result = client.embeddings.create(model="text-embedding-3-small", input=["hola", "adiós", "¿qué tal?"])
    row = _rows_by_endpoint()["embeddings"]
    assert row["input_tokens"] == row["estimated_input_tokens"] == result.usage.prompt_tokens
    assert row["cost_usd"] == row["estimate_usd"] > 0


def test_empty_embedding_input_is_refused_before_sending(sandbox_env) -> None:
    with pytest.raises(conduit.ValidationError):
        conduit.OpenAI().embeddings.create(model="text-embedding-3-small", input=["hola", ""])
    assert sandbox_env.requests == []


def test_moderations_are_recorded_and_free(sandbox_env) -> None:
    conduit.OpenAI().moderations.create(input="hola")
    row = _rows_by_endpoint()["moderations"]
    assert row["status"] == "ok" and row["cost_usd"] == Decimal(0)


def test_responses_run_under_a_block_budget(sandbox_env) -> None:
    """The Agents SDK speaks the Responses API: budgets must be able to reserve for it."""
    with conduit.Budget("global", "5"):
        conduit.OpenAI().responses.create(model="gpt-5.4-mini", input="hola", max_output_tokens=50)
    with conduit.Budget("global", "0.00001"):
        with pytest.raises(conduit.BudgetExceeded):
            conduit.OpenAI().responses.create(model="gpt-5.4-mini", input="hola", max_output_tokens=5000)
    assert [r.path for r in sandbox_env.requests] == ["/v1/responses"]


def test_file_uploads_are_free_and_pass_a_block_budget(sandbox_env) -> None:
    from conduit.pipeline.clients import wire_client

    with conduit.Budget("global", "0.000001"), wire_client() as client:
        client.post("files", files={"file": ("data.jsonl", b'{"a": 1}\n', "application/jsonl")}, data={"purpose": "batch"})
    row = open_ledger().exchanges()[0]
    # it reached the API (the simulation has no files endpoint: 404) instead of being refused as unpriced
    assert row["endpoint"] == "files" and row["status"] != "refused" and row["http_status"] == 404
    assert row["cost_usd"] == 0
