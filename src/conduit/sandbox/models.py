"""The sandbox's model catalog: which ids exist, what they can do, when they die.

The names come from the installed ``openai`` SDK's model literals
(``ChatModel``, ``ResponsesModel``, ``ImageModel``, ``AudioModel``,
``SpeechModel``, ``EmbeddingModel``, ``ModerationModel``) and the shutdown
dates from their "Deprecated values" docs; a unit test cross-checks this table
against the SDK so it cannot silently drift. It is a static table (not parsed
from the SDK at run time) because ``import openai`` costs over a second and the
sandbox must start in well under that.

A model answers ``404 model_not_found`` once its shutdown date has passed, as
the real API does. "Today" is the real UTC date unless the sandbox is given an
``as_of`` date (or ``CONDUIT_SANDBOX_DATE``), which tests use to stay
reproducible as the calendar moves.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache

CHAT = "chat"
RESPONSES_ONLY = "responses"
IMAGE = "image"
EMBEDDING = "embedding"
MODERATION = "moderation"
TRANSCRIBE = "transcribe"
TTS = "tts"

_CHAT_MODELS = """
gpt-6-astra gpt-6.2-astra gpt-6.1-sol gpt-6.2-sol gpt-6.1-terra gpt-6-sol gpt-6-luna
gpt-5.6-sol gpt-5.6-terra gpt-5.6-luna gpt-5.5 gpt-5.5-2026-04-23 gpt-5.4 gpt-5.4-mini gpt-5.4-nano
gpt-5.4-mini-2026-03-17 gpt-5.4-nano-2026-03-17 gpt-5.3-chat-latest gpt-5.2 gpt-5.2-2025-12-11
gpt-5.2-chat-latest gpt-5.2-pro gpt-5.2-pro-2025-12-11 gpt-5.1 gpt-5.1-2025-11-13 gpt-5.1-codex
gpt-5.1-mini gpt-5.1-chat-latest gpt-5 gpt-5-mini gpt-5-nano gpt-5-2025-08-07 gpt-5-mini-2025-08-07
gpt-5-nano-2025-08-07 gpt-5-chat-latest gpt-4.1 gpt-4.1-mini gpt-4.1-nano gpt-4.1-2025-04-14
gpt-4.1-mini-2025-04-14 gpt-4.1-nano-2025-04-14 o4-mini o4-mini-2025-04-16 o3 o3-2025-04-16 o3-mini
o3-mini-2025-01-31 o1 o1-2024-12-17 o1-preview o1-preview-2024-09-12 o1-mini o1-mini-2024-09-12
gpt-4o gpt-4o-2024-11-20 gpt-4o-2024-08-06 gpt-4o-2024-05-13 gpt-audio-mini gpt-audio-mini-2025-12-15
gpt-4o-audio-preview gpt-4o-audio-preview-2024-10-01 gpt-4o-audio-preview-2024-12-17
gpt-4o-audio-preview-2025-06-03 gpt-4o-mini-audio-preview gpt-4o-mini-audio-preview-2024-12-17
gpt-4o-search-preview gpt-4o-mini-search-preview gpt-4o-search-preview-2025-03-11
gpt-4o-mini-search-preview-2025-03-11 chatgpt-4o-latest codex-mini-latest gpt-4o-mini
gpt-4o-mini-2024-07-18 gpt-4-turbo gpt-4-turbo-2024-04-09 gpt-4-0125-preview gpt-4-turbo-preview
gpt-4-1106-preview gpt-4-vision-preview gpt-4 gpt-4-0314 gpt-4-0613 gpt-4-32k gpt-4-32k-0314
gpt-4-32k-0613 gpt-3.5-turbo gpt-3.5-turbo-16k gpt-3.5-turbo-0301 gpt-3.5-turbo-0613
gpt-3.5-turbo-1106 gpt-3.5-turbo-0125 gpt-3.5-turbo-16k-0613
"""

_RESPONSES_ONLY_MODELS = """
o1-pro o1-pro-2025-03-19 o3-pro o3-pro-2025-06-10 o3-deep-research o3-deep-research-2025-06-26
o4-mini-deep-research o4-mini-deep-research-2025-06-26 computer-use-preview computer-use-preview-2025-03-11
gpt-5.5-pro gpt-5.5-pro-2026-04-23 gpt-5-codex gpt-5-pro gpt-5-pro-2025-10-06 gpt-5.1-codex-max
gpt-daybreak-blue-latest gpt-daybreak-red-latest gpt-5.6-cyber gpt-6-cyber gpt-rosalind-research
gpt-6-rosalind gpt-6.2-astra-law
"""

_IMAGE_MODELS = """
gpt-image-1.5 gpt-image-2 gpt-image-2-2026-04-21 gpt-image-2.5-sunburst gpt-image-2.5-sunburst-2026-09-08
gpt-image-2.5-flare gpt-image-2.5-flare-2026-09-08 gpt-image-2.6-sunburst gpt-image-2.6-flare gpt-image-1
gpt-image-1-mini chatgpt-image-latest dall-e-2 dall-e-3
"""

_EMBEDDING_MODELS = "text-embedding-ada-002 text-embedding-3-small text-embedding-3-large"
_MODERATION_MODELS = "omni-moderation-latest omni-moderation-2024-09-26 text-moderation-latest text-moderation-stable"
_TRANSCRIBE_MODELS = (
    "whisper-1 gpt-transcribe gpt-4o-transcribe gpt-4o-mini-transcribe gpt-4o-mini-transcribe-2025-12-15 "
    "gpt-4o-transcribe-diarize"
)
_TTS_MODELS = "tts-1 tts-1-hd gpt-4o-mini-tts gpt-4o-mini-tts-2025-12-15"

# Shutdown dates from the SDK's "Deprecated values" docs (ChatModel, ImageModel,
# AudioModel, SpeechModel). After the date the model answers 404.
_SHUTDOWNS: dict[str, str] = {
    "2027-04-01": "gpt-5.4-nano gpt-5.4-nano-2026-03-17 gpt-5.1 gpt-5.1-2025-11-13",
    "2026-08-10": "gpt-5.3-chat-latest gpt-5.2-chat-latest",
    "2026-07-23": "gpt-5.1-codex gpt-5.1-chat-latest gpt-5-chat-latest gpt-4o-search-preview "
    "gpt-4o-mini-search-preview gpt-4o-search-preview-2025-03-11 gpt-4o-mini-search-preview-2025-03-11",
    "2026-12-11": "gpt-5 gpt-5-mini gpt-5-nano gpt-5-2025-08-07 gpt-5-mini-2025-08-07 gpt-5-nano-2025-08-07 "
    "o3 o3-2025-04-16",
    "2027-01-14": "gpt-4.1 gpt-4.1-mini gpt-4.1-2025-04-14 gpt-4.1-mini-2025-04-14 gpt-4o gpt-4o-2024-11-20 "
    "gpt-4o-2024-08-06 gpt-4o-mini gpt-4o-mini-2024-07-18",
    "2026-10-23": "gpt-4.1-nano gpt-4.1-nano-2025-04-14 o4-mini o4-mini-2025-04-16 o3-mini o3-mini-2025-01-31 "
    "o1 o1-2024-12-17 gpt-4o-2024-05-13 gpt-4-turbo gpt-4-turbo-2024-04-09 gpt-4-1106-preview gpt-4 gpt-4-0613 "
    "gpt-3.5-turbo gpt-3.5-turbo-0125 gpt-image-1",
    "2025-07-28": "o1-preview o1-preview-2024-09-12",
    "2025-10-27": "o1-mini o1-mini-2024-09-12",
    "2027-01-20": "gpt-audio-mini gpt-audio-mini-2025-12-15",
    "2026-05-07": "gpt-4o-audio-preview gpt-4o-audio-preview-2024-12-17 gpt-4o-audio-preview-2025-06-03 "
    "gpt-4o-mini-audio-preview gpt-4o-mini-audio-preview-2024-12-17",
    "2025-10-10": "gpt-4o-audio-preview-2024-10-01",
    "2026-02-17": "chatgpt-4o-latest",
    "2026-02-12": "codex-mini-latest",
    "2026-03-26": "gpt-4-0125-preview gpt-4-turbo-preview gpt-4-0314",
    "2024-12-06": "gpt-4-vision-preview",
    "2025-06-06": "gpt-4-32k gpt-4-32k-0314 gpt-4-32k-0613",
    "2024-09-13": "gpt-3.5-turbo-16k gpt-3.5-turbo-0301 gpt-3.5-turbo-0613 gpt-3.5-turbo-16k-0613",
    "2026-09-28": "gpt-3.5-turbo-1106",
    "2026-05-12": "dall-e-2 dall-e-3",
    "2027-02-26": "whisper-1 gpt-4o-transcribe gpt-4o-mini-transcribe gpt-4o-mini-transcribe-2025-12-15 "
    "gpt-4o-transcribe-diarize",
    "2027-01-06": "tts-1 tts-1-hd gpt-4o-mini-tts gpt-4o-mini-tts-2025-12-15",
}

_SNAPSHOT = re.compile(r"^(?P<base>.+?)-(?P<date>\d{4}-\d{2}-\d{2})$")
_EPOCH_DEFAULT = 1_700_000_000  # created timestamp for ids without a date in them


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the sandbox knows about one model id."""

    id: str
    kind: str
    shutdown: _dt.date | None = None
    base: str | None = None  # the catalog id this one derives from (snapshot or fine-tune)

    @property
    def family_id(self) -> str:
        return self.base or self.id

    @property
    def is_reasoning(self) -> bool:
        """o-series and gpt-5+ (except the non-reasoning ``*-chat-latest`` aliases) think before answering."""
        name = self.family_id
        if self.kind not in (CHAT, RESPONSES_ONLY):
            return False
        if "chat-latest" in name or "search-preview" in name or "audio" in name:
            return False
        return bool(re.match(r"^o\d", name) or re.match(r"^gpt-[5-9]", name) or "codex" in name)

    @property
    def is_gpt_image(self) -> bool:
        return self.kind == IMAGE and not self.family_id.startswith("dall-e")

    @property
    def created(self) -> int:
        match = re.search(r"(\d{4})-(\d{2})-(\d{2})", self.id)
        if match:
            day = _dt.date(int(match[1]), int(match[2]), int(match[3]))
            return int(_dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc).timestamp())
        return _EPOCH_DEFAULT

    def is_shut_down(self, today: _dt.date) -> bool:
        return self.shutdown is not None and today >= self.shutdown


@lru_cache(maxsize=1)
def catalog() -> dict[str, ModelInfo]:
    """Every model id the sandbox serves, keyed by id."""
    shutdown: dict[str, _dt.date] = {}
    for day, names in _SHUTDOWNS.items():
        for name in names.split():
            shutdown[name] = _dt.date.fromisoformat(day)
    table: dict[str, ModelInfo] = {}
    for kind, names in (
        (CHAT, _CHAT_MODELS),
        (RESPONSES_ONLY, _RESPONSES_ONLY_MODELS),
        (IMAGE, _IMAGE_MODELS),
        (EMBEDDING, _EMBEDDING_MODELS),
        (MODERATION, _MODERATION_MODELS),
        (TRANSCRIBE, _TRANSCRIBE_MODELS),
        (TTS, _TTS_MODELS),
    ):
        for name in names.split():
            table[name] = ModelInfo(name, kind, shutdown.get(name))
    return table


def resolve(model: str) -> ModelInfo | None:
    """The catalog entry for ``model``, accepting dated snapshots and ``ft:`` fine-tunes.

    A fine-tune (``ft:BASE:org:suffix:id``) inherits its base model's kind but
    not its shutdown date (fine-tunes of an unknown base are served as chat).
    """
    table = catalog()
    if model in table:
        return table[model]
    if model.startswith("ft:"):
        parts = model.split(":")
        base_name = parts[1] if len(parts) > 1 else ""
        base = resolve(base_name) if base_name else None
        return ModelInfo(model, base.kind if base else CHAT, None, base.family_id if base else None)
    match = _SNAPSHOT.match(model)
    if match and match["base"] in table:
        base = table[match["base"]]
        return ModelInfo(model, base.kind, base.shutdown, base.id)
    return None


def today(as_of: _dt.date | None) -> _dt.date:
    return as_of or _dt.datetime.now(_dt.timezone.utc).date()
