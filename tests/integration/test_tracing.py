"""OpenTelemetry spans (GenAI conventions) for every exchange, without content or secrets."""

from __future__ import annotations

import pytest

import conduit

otel_sdk = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _provider():
    provider = otel_sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)  # once per process: the API refuses to replace it
    yield


@pytest.fixture(autouse=True)
def _clear():
    _EXPORTER.clear()


def test_exchange_span_carries_model_tokens_and_cost(sandbox_env) -> None:
    client = conduit.OpenAI()
    key = "sk-proj-4fG7hJ2kL9mN3pQ8rS1tU6vW0xY5zA2bC7dE9fG3hJ6kL1mN"
    prompt = f"¿Cuál es la capital de Francia? my key is {key}"
    with conduit.scope(session="s-trace"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hola"}])
        with pytest.raises(conduit.SecurityError):  # the guard refuses the key before sending
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    spans = _EXPORTER.get_finished_spans()
    ok, refused = spans[0], spans[1]
    assert ok.name == "chat gpt-4o-mini" and ok.kind == trace.SpanKind.CLIENT
    attributes = dict(ok.attributes)
    assert attributes["gen_ai.operation.name"] == "chat" and attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.usage.input_tokens"] > 0 and attributes["gen_ai.usage.output_tokens"] > 0
    assert attributes["conduit.session"] == "s-trace" and float(attributes["conduit.cost_usd"]) > 0
    row = conduit.open_ledger().exchange(attributes["conduit.exchange_id"])
    assert row is not None and str(row["cost_usd"]) == attributes["conduit.cost_usd"]
    assert ok.end_time >= ok.start_time
    # the refused call is a span too (status error), and no span holds the secret or the prompt
    assert dict(refused.attributes)["conduit.status"] == "refused"
    assert refused.status.status_code == trace.StatusCode.ERROR
    dump = repr([(s.name, dict(s.attributes)) for s in spans])
    assert key not in dump and "capital" not in dump
