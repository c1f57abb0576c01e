"""Screen prompts with OpenAI's free moderations endpoint before paying for an image.

A flagged image prompt is refused by OpenAI's own safety system only after
the request was made (and, for some content policies, after the account was
warned); asking ``/moderations`` first is free and fast. :class:`ModerationScreen`
is a pipeline validator: it runs in the *validate* stage of every image
request (optionally of every request carrying user text), sends the prompt to
``/moderations`` through a governed client -- so the screening call is itself
in the ledger, at $0 -- and refuses flagged prompts with the categories named.
The refusal is recorded like any other (status ``refused``, error class
``ContentFlagged``).

    client = conduit.OpenAI()
    conduit.screen_prompts(client)                  # image prompts
    conduit.screen_prompts(client, scope="all")     # also chat, responses, speech input

Configuration (``conduit.toml``)::

    [media]
    moderate_prompts = "images"   # or "all", or "off" (the CLI's default is "images")
    moderation_model = "omni-moderation-latest"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from conduit.errors import ConfigurationError, SecurityError, UpstreamError

if TYPE_CHECKING:  # pragma: no cover
    import httpx2

    from conduit.pipeline.exchange import Exchange

__all__ = [
    "ContentFlagged",
    "ModerationResult",
    "ModerationScreen",
    "moderate",
    "moderation_scope",
    "moderation_validator",
    "screen_prompts",
]

DEFAULT_MODEL = "omni-moderation-latest"
IMAGE_ENDPOINTS = ("images.generations", "images.edits")
ALL_ENDPOINTS = IMAGE_ENDPOINTS + ("chat.completions", "responses", "audio.speech")
_SCOPES = ("off", "images", "all")
_MAX_CHARS = 32_000  # keep the screening request small; the start of a prompt carries its intent


class ContentFlagged(SecurityError):
    """The moderations endpoint flagged the prompt; nothing was generated or charged."""

    def __init__(self, message: str, hint: str, categories: list[str]) -> None:
        super().__init__(message, hint)
        self.categories = categories


@dataclass(frozen=True, slots=True)
class ModerationResult:
    """Whether the text was flagged, and which categories (highest score first)."""

    flagged: bool
    categories: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


def moderate(client: "httpx2.Client", text: str, *, model: str = DEFAULT_MODEL) -> ModerationResult:
    """Ask ``/moderations`` about ``text`` through ``client`` (a governed wire client)."""
    response = client.post("moderations", json={"model": model, "input": text[:_MAX_CHARS]})
    if response.status_code >= 400:
        raise UpstreamError(
            f"The moderation screen could not run: the API answered {response.status_code}.",
            "Retry, or turn the screen off ([media] moderate_prompts = \"off\" / --no-moderate).",
        )
    data = response.json()
    flagged, categories, scores = False, set(), {}
    for result in data.get("results") or []:
        flagged = flagged or bool(result.get("flagged"))
        for name, hit in (result.get("categories") or {}).items():
            if hit:
                categories.add(name)
        for name, score in (result.get("category_scores") or {}).items():
            scores[name] = max(float(score), scores.get(name, 0.0))
    ordered = sorted(categories, key=lambda name: -scores.get(name, 0.0))
    return ModerationResult(flagged, ordered, scores)


def _prompt_texts(endpoint: str, exchange: "Exchange") -> list[str]:
    """The user-written text of a request: image prompts, speech input, user messages."""
    payload = exchange.payload
    if endpoint.startswith("images."):
        from conduit.meter.images import image_body

        prompt = image_body(payload).get("prompt")
        return [prompt] if isinstance(prompt, str) and prompt.strip() else []
    body = payload.json
    if body is None:
        return []
    from conduit.guard.policy import iter_text_slots

    return [slot.get() for slot in iter_text_slots(endpoint, body) if slot.role in ("user", "input")]


class ModerationScreen:
    """Pipeline validator: refuse requests whose user text the moderations endpoint flags."""

    def __init__(
        self,
        client: "httpx2.Client",
        *,
        endpoints: Iterable[str] = IMAGE_ENDPOINTS,
        model: str = DEFAULT_MODEL,
    ) -> None:
        self.client = client
        self.endpoints = tuple(endpoints)
        self.model = model

    def __call__(self, exchange: "Exchange") -> None:
        endpoint = exchange.endpoint
        if endpoint not in self.endpoints:
            return
        texts = [text for text in _prompt_texts(endpoint, exchange) if text.strip()]
        if not texts:
            return
        result = moderate(self.client, "\n\n".join(texts), model=self.model)
        if result.flagged:
            what = "image prompt" if endpoint.startswith("images.") else "input"
            named = ", ".join(result.categories) or "unspecified"
            raise ContentFlagged(
                f"The {what} was flagged by OpenAI's moderation ({named}); it was not sent to {exchange.model or 'the model'}.",
                "Rephrase the prompt without the flagged content. Nothing was generated or charged.",
                result.categories,
            )


def moderation_scope(settings: Any = None) -> str:
    """``[media] moderate_prompts`` from conduit.toml: "off" (library default), "images" or "all"."""
    if settings is None:
        from conduit.settings import get_settings

        settings = get_settings()
    value = settings.section("media").get("moderate_prompts", "off")
    if value is True:
        value = "images"
    elif value is False:
        value = "off"
    value = str(value).strip().lower()
    if value not in _SCOPES:
        raise ConfigurationError(f"Unknown [media] moderate_prompts = {value!r} in conduit.toml.",
                                 f"Use one of: {', '.join(_SCOPES)}.")
    return value


class _LazyWireClient:
    """A wire client created on first use: building one builds a pipeline, whose stages may build this screen."""

    def __init__(self, api_key: str | None, base_url: str | None) -> None:
        self._args = (api_key, base_url)
        self._client: Any = None

    def post(self, *args: Any, **kwargs: Any) -> Any:
        if self._client is None:
            from conduit.pipeline.clients import wire_client

            self._client = wire_client(api_key=self._args[0], base_url=self._args[1])
        return self._client.post(*args, **kwargs)


def moderation_validator(settings: Any = None) -> ModerationScreen | None:
    """The screen ``[media] moderate_prompts`` asks for (None when "off"), for the pipeline's stage list.

    Its moderation calls use the settings' endpoint and key, through a wire
    client made on first use.
    """
    if settings is None:
        from conduit.settings import get_settings

        settings = get_settings()
    scope = moderation_scope(settings)
    if scope == "off":
        return None
    model = str(settings.section("media").get("moderation_model", DEFAULT_MODEL))
    client = _LazyWireClient(None, settings.base_url)
    return ModerationScreen(client, endpoints=ALL_ENDPOINTS if scope == "all" else IMAGE_ENDPOINTS,  # type: ignore[arg-type]
                            model=model)


def _transport_of(client: Any) -> Any:
    """The governed transport under an openai client or an httpx2 wire client."""
    http = getattr(client, "_client", client)  # openai.OpenAI keeps its httpx client in ``_client``
    transport = getattr(http, "_transport", None)
    if transport is None or not hasattr(transport, "pipeline"):
        raise ConfigurationError(
            "This client is not on conduit's pipeline, so its prompts cannot be screened.",
            "Create it with conduit.OpenAI(), conduit.AsyncOpenAI() or conduit.pipeline.clients.wire_client().",
        )
    return transport


def screen_prompts(client: Any, *, scope: str = "images", model: str | None = None) -> ModerationScreen | None:
    """Install a :class:`ModerationScreen` on ``client``'s pipeline (``scope``: images, all or off).

    Works for ``conduit.OpenAI()``/``AsyncOpenAI()`` and wire clients. The
    screening calls go through a synchronous wire client on the same endpoint
    and key, so they are recorded in the ledger (at $0).
    """
    if scope not in _SCOPES:
        raise ConfigurationError(f"Unknown moderation scope {scope!r}.", f"Use one of: {', '.join(_SCOPES)}.")
    pipeline = _transport_of(client).pipeline
    pipeline.validators[:] = [v for v in pipeline.validators if not isinstance(v, ModerationScreen)]
    if scope == "off":
        return None
    moderation_client = _sync_client_for(client)
    if model is None:
        from conduit.settings import get_settings

        model = str(get_settings().section("media").get("moderation_model", DEFAULT_MODEL))
    screen = ModerationScreen(moderation_client, endpoints=ALL_ENDPOINTS if scope == "all" else IMAGE_ENDPOINTS,
                              model=model)
    pipeline.validators.append(screen)
    return screen


def _sync_client_for(client: Any) -> Any:
    """A synchronous governed client reaching the same API as ``client``."""
    import httpx2

    if isinstance(client, httpx2.Client):
        return client  # the screen only handles other endpoints: re-entering the same client is safe
    from conduit.pipeline.clients import wire_client

    if isinstance(client, httpx2.AsyncClient):
        auth = client.headers.get("authorization", "")
        key = auth.split(" ", 1)[1] if " " in auth else None
        return wire_client(api_key=key, base_url=str(client.base_url).rstrip("/"))
    return wire_client(api_key=getattr(client, "api_key", None), base_url=str(client.base_url).rstrip("/"))


def describe(result: ModerationResult) -> str:
    """One line for logs and the CLI: flagged categories with their scores."""
    if not result.flagged:
        return "not flagged"
    return "flagged: " + ", ".join(f"{name} ({result.scores.get(name, 0):.2f})" for name in result.categories)
