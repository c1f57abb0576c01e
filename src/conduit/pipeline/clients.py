"""Client factories: the official SDK clients, and a light wire client, on the pipeline.

``conduit.OpenAI()`` returns a real ``openai.OpenAI`` (so ``isinstance``
checks in other libraries pass and every SDK type is unchanged) whose HTTP
client's transport is the governed pipeline and whose own retries are off.
``wire_client()`` gives conduit's CLI and agent loop the same pipeline
without importing the ``openai`` package at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx2

from conduit.ledger import open_ledger
from conduit.pipeline.context import Scope
from conduit.pipeline.core import Pipeline
from conduit.pipeline.transport import AsyncGovernedTransport, GovernedTransport
from conduit.settings import Settings, get_settings

if TYPE_CHECKING:  # pragma: no cover
    import openai

_TIMEOUT = httpx2.Timeout(600.0, connect=10.0)
_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


def build_pipeline(
    settings: Settings | None = None,
    *,
    base_url: str | None = None,
    project: str | None = None,
    user: str | None = None,
    session: str | None = None,
    db: str | None = None,
) -> Pipeline:
    """A pipeline with this process's ledger and the configured stages."""
    settings = settings or get_settings()
    from conduit.observability.logging import configure_from_settings
    from conduit.pipeline.stages import configured_stages

    configure_from_settings(settings)

    stages = configured_stages(settings)
    ledger = open_ledger(db or settings.db_url)
    from conduit.pipeline.cache import configured_cache

    return Pipeline(
        ledger,
        cache=configured_cache(ledger, settings),
        defaults=Scope(
            project=project or settings.project,
            user=user or settings.user,
            session=session or settings.session,
        ),
        upstream=httpx2.URL(base_url or settings.base_url).host,
        validators=stages.validators,
        screen=stages.screen,
        budget=stages.budget,
    )


def _key_and_url(api_key: str | None, base_url: str | None, settings: Settings) -> tuple[str, str]:
    key = api_key if api_key else settings.require_api_key()
    return key, (base_url or settings.base_url).rstrip("/")


def _governed_args(
    api_key: str | None, base_url: str | None, scope: Scope | None, kwargs: dict[str, Any]
) -> tuple[str, str, Pipeline]:
    """Key, URL and pipeline for an SDK client; ``kwargs`` keeps the SDK's own options."""
    settings = get_settings()
    key, url = _key_and_url(api_key, base_url, settings)
    tags = scope or Scope()
    pipeline = build_pipeline(settings, base_url=url, project=tags.project, user=tags.user, session=tags.session)
    kwargs.setdefault("organization", settings.organization)
    kwargs.setdefault("project", settings.project_id)  # OpenAI's project id (OPENAI_PROJECT_ID), as in the SDK
    return key, url, pipeline


def OpenAI(
    *, api_key: str | None = None, base_url: str | None = None, scope: Scope | None = None, **kwargs: Any
) -> "openai.OpenAI":
    """The official synchronous client, governed. Key from the environment or .env.

    Every keyword the SDK takes (``organization``, ``project``, ``timeout``,
    ``default_headers``...) means what it means there; ``scope=conduit.Scope(project=...,
    user=..., session=...)`` sets conduit's default tags for this client's exchanges.
    """
    import openai

    key, url, pipeline = _governed_args(api_key, base_url, scope, kwargs)
    http_client = httpx2.Client(
        transport=GovernedTransport(pipeline, httpx2.HTTPTransport(limits=_LIMITS)),
        timeout=_TIMEOUT,
        follow_redirects=True,
    )
    return openai.OpenAI(api_key=key, base_url=url, http_client=http_client, max_retries=0, **kwargs)


def AsyncOpenAI(
    *, api_key: str | None = None, base_url: str | None = None, scope: Scope | None = None, **kwargs: Any
) -> "openai.AsyncOpenAI":
    """The official asynchronous client, governed (see :func:`OpenAI`)."""
    import openai

    key, url, pipeline = _governed_args(api_key, base_url, scope, kwargs)
    http_client = httpx2.AsyncClient(
        transport=AsyncGovernedTransport(pipeline, httpx2.AsyncHTTPTransport(limits=_LIMITS)),
        timeout=_TIMEOUT,
        follow_redirects=True,
    )
    return openai.AsyncOpenAI(api_key=key, base_url=url, http_client=http_client, max_retries=0, **kwargs)


def _wire_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "User-Agent": "conduit/0.1"}


def _wire_parts(
    api_key: str | None, base_url: str | None, session: str | None, scope: dict[str, Any]
) -> tuple[dict[str, Any], Pipeline]:
    """What both wire clients share: base URL, headers, timeout, and the pipeline."""
    settings = get_settings()
    key, url = _key_and_url(api_key, base_url, settings)
    pipeline = build_pipeline(settings, base_url=url, session=session, **scope)
    return {"base_url": url + "/", "headers": _wire_headers(key), "timeout": _TIMEOUT}, pipeline


def wire_client(
    *, api_key: str | None = None, base_url: str | None = None, session: str | None = None, **scope: Any
) -> httpx2.Client:
    """An httpx2 client on the pipeline, based at the API root (e.g. ``.post("/chat/completions")``)."""
    options, pipeline = _wire_parts(api_key, base_url, session, scope)
    return httpx2.Client(transport=GovernedTransport(pipeline, httpx2.HTTPTransport(limits=_LIMITS)), **options)


def async_wire_client(
    *, api_key: str | None = None, base_url: str | None = None, session: str | None = None, **scope: Any
) -> httpx2.AsyncClient:
    """The asynchronous twin of :func:`wire_client` (the agent loop's client)."""
    options, pipeline = _wire_parts(api_key, base_url, session, scope)
    return httpx2.AsyncClient(
        transport=AsyncGovernedTransport(pipeline, httpx2.AsyncHTTPTransport(limits=_LIMITS)), **options
    )
