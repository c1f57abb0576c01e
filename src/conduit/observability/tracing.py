"""OpenTelemetry spans for exchanges, named and tagged by the GenAI semantic conventions.

Only the OpenTelemetry *API* is used (it ships with the ``mcp`` SDK); spans are
recorded when the application installs an SDK tracer provider, and cost
nothing measurable otherwise. A span carries model, tokens, cost and the
exchange id -- never prompt or output text, and no error messages (they may
quote user input); the ledger row has the details.
"""

from __future__ import annotations

from typing import Any

_OPERATIONS = {
    "chat.completions": "chat",
    "responses": "chat",
    "embeddings": "embeddings",
    "images.generations": "generate_content",
    "images.edits": "generate_content",
    "audio.transcriptions": "generate_content",
    "audio.translations": "generate_content",
    "audio.speech": "generate_content",
}

_tracer: Any = None


def _active_tracer() -> Any | None:
    """The conduit tracer, or None while no SDK provider is installed (the common, free case)."""
    global _tracer
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - the API comes with mcp
        return None
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return None
    if _tracer is None:
        from conduit import __version__

        _tracer = trace.get_tracer("conduit", __version__)
    return _tracer


def exchange_span(record: Any) -> None:
    """One CLIENT span per exchange attempt, back-dated to when it started."""
    tracer = _active_tracer()
    if tracer is None:
        return
    from opentelemetry.trace import SpanKind, Status, StatusCode

    operation = _OPERATIONS.get(record.endpoint, record.endpoint)
    start = int(record.created_at * 1e9)
    end = start + int((record.latency_ms or 0.0) * 1e6)
    usage = record.usage
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": record.requested_model or record.model or "",
        "gen_ai.response.model": record.model or "",
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "conduit.exchange_id": record.exchange_id or record.id,
        "conduit.endpoint": record.endpoint,
        "conduit.status": record.status,
        "conduit.attempt": record.attempt,
        "conduit.cost_usd": "" if record.cost_usd is None else str(record.cost_usd),
    }
    if usage.cached_input_tokens:
        attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cached_input_tokens
    if usage.reasoning_tokens:
        attributes["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
    for key, value in (("conduit.session", record.session), ("conduit.user", record.user),
                       ("conduit.project", record.project), ("server.address", record.upstream),
                       ("gen_ai.response.id", record.request_id), ("error.type", record.error_class)):
        if value:
            attributes[key] = value
    span = tracer.start_span(f"{operation} {record.model or ''}".strip(), kind=SpanKind.CLIENT,
                             start_time=start, attributes=attributes)
    if record.status not in ("ok", "cached", "retried"):
        span.set_status(Status(StatusCode.ERROR, record.error_class or record.status))
    span.end(end_time=max(end, start))
