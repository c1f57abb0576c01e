"""Built-in media tools the agent's model may call: generate_image, speak, transcribe.

They go through the same governed wire client as the chat turns, so each
image, speech clip and transcript is priced, budgeted and in the ledger. The
model decides when they fit ("Dibuja un gato" -> generate_image); the files
they produce are written under the agent's output directory and reported by
path, never pasted into the context.
"""

from __future__ import annotations

from decimal import Decimal

import base64
import mimetypes
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conduit.mcp.results import ToolResult, failure

# preferred defaults (cheap, good); replaced by their catalog successor once retired
PREFERRED = {"image": "gpt-image-1-mini", "speech": "gpt-4o-mini-tts", "transcription": "gpt-transcribe"}
_CONFIG_KEYS = {"image": "image_model", "speech": "speech_model", "transcription": "transcribe_model"}
SERVER = "builtin"


def media_model(kind: str) -> str:
    """The model for a built-in media tool: ``[agent]`` config, else a catalog-checked default.

    Hard-coding a model name breaks on its shutdown date, so the preferred
    default is checked against the catalog's lifecycle: an active preferred
    model is used; a retired one gives way to its successor; failing both,
    the first active (then merely deprecated) model of the kind.
    """
    from conduit.catalog import current_successor, list_models, lookup_model
    from conduit.settings import get_settings

    configured = get_settings().section("agent").get(_CONFIG_KEYS[kind])
    if configured:
        return str(configured)
    preferred = PREFERRED[kind]
    spec = lookup_model(preferred)
    if spec is not None and spec.status() != "retired":
        return preferred
    successor = current_successor(preferred)
    if successor:
        return successor
    usable = [m for m in list_models(kind) if m.status() != "retired"]
    usable.sort(key=lambda m: m.status() != "active")
    return usable[0].name if usable else preferred

TOOLS: dict[str, dict[str, Any]] = {
    "generate_image": {
        "type": "function",
        "function": {
            "name": "generate_image",
            "description": "Create an image from a text description (drawing, picture, illustration, photo). Returns the saved file path.",
            "parameters": {
                "type": "object",
                "properties": {
                    "prompt": {"type": "string", "description": "What the image should show, in detail."},
                    "size": {"type": "string", "enum": ["1024x1024", "1024x1536", "1536x1024"], "description": "Image size."},
                },
                "required": ["prompt"],
            },
        },
    },
    "speak": {
        "type": "function",
        "function": {
            "name": "speak",
            "description": "Turn text into spoken audio (text to speech). Returns the saved audio file path.",
            "parameters": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The words to say."},
                    "voice": {"type": "string", "description": "Voice name, e.g. alloy, nova, verse."},
                },
                "required": ["text"],
            },
        },
    },
    "transcribe": {
        "type": "function",
        "function": {
            "name": "transcribe",
            "description": "Transcribe an audio file (speech to text). Returns the transcript.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string", "description": "Path of the audio file."}},
                "required": ["path"],
            },
        },
    },
}


@dataclass
class MediaTools:
    """Executes the built-in tools through a governed async wire client."""

    client: Any  # httpx2.AsyncClient on the pipeline
    output_dir: Path
    enabled: tuple[str, ...] = tuple(TOOLS)
    image_model: str = ""
    speech_model: str = ""
    transcribe_model: str = ""
    spent: Decimal = Decimal(0)  # what the built-in tools' calls cost, from the pipeline's cost header

    def __post_init__(self) -> None:
        self.image_model = self.image_model or media_model("image")
        self.speech_model = self.speech_model or media_model("speech")
        self.transcribe_model = self.transcribe_model or media_model("transcription")

    def definitions(self) -> list[dict[str, Any]]:
        return [TOOLS[name] for name in self.enabled]

    def handles(self, name: str) -> bool:
        return name in self.enabled

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        started = time.perf_counter()
        try:
            if name == "generate_image":
                text = await self._generate_image(arguments)
            elif name == "speak":
                text = await self._speak(arguments)
            elif name == "transcribe":
                text = await self.transcribe_file(Path(str(arguments.get("path", ""))))
            else:
                return failure(SERVER, name, "refused", f"Tool call refused: there is no built-in tool named {name!r}.")
        except KeyError as exc:
            return failure(SERVER, name, "error", f"Missing argument {exc.args[0]!r} for {name}.", duration_ms=_ms(started))
        except Exception as exc:  # noqa: BLE001 - the model is told and may try differently
            message = getattr(exc, "message", None) or str(exc)
            return failure(SERVER, name, "error", f"{name} failed: {message}", duration_ms=_ms(started))
        return ToolResult(SERVER, name, "ok", text, duration_ms=_ms(started), output_bytes=len(text.encode()))

    def _path(self, stem: str, suffix: str) -> Path:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.output_dir / f"{stem}-{stamp}{suffix}"
        counter = 1
        while path.exists():
            path = self.output_dir / f"{stem}-{stamp}-{counter}{suffix}"
            counter += 1
        return path

    async def _generate_image(self, arguments: dict[str, Any]) -> str:
        body = {"model": self.image_model, "prompt": str(arguments["prompt"]), "n": 1, "size": str(arguments.get("size") or "1024x1024")}
        response = await self.client.post("images/generations", json=body)
        _raise_for(response, "image generation")
        self.spent += _recorded_cost(response)
        item = response.json()["data"][0]
        if item.get("b64_json"):
            path = self._path("image", ".png")
            path.write_bytes(base64.b64decode(item["b64_json"]))
            return f"Image saved to {path}"
        return f"Image available at {item.get('url')}"

    async def _speak(self, arguments: dict[str, Any]) -> str:
        body = {"model": self.speech_model, "input": str(arguments["text"]), "voice": str(arguments.get("voice") or "alloy"), "response_format": "mp3"}
        response = await self.client.post("audio/speech", json=body)
        _raise_for(response, "speech")
        self.spent += _recorded_cost(response)
        path = self._path("speech", ".mp3")
        path.write_bytes(response.content)
        return f"Speech saved to {path} ({len(response.content)} bytes)"

    async def transcribe_file(self, path: Path) -> str:
        """The transcript of an audio file (also used for audio input before the first turn)."""
        if not path.is_file():
            raise FileNotFoundError(f"no audio file at {path}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files = {"file": (path.name, path.read_bytes(), mime)}
        response = await self.client.post("audio/transcriptions", data={"model": self.transcribe_model}, files=files)
        _raise_for(response, "transcription")
        self.spent += _recorded_cost(response)
        return str(response.json().get("text", ""))


def _recorded_cost(response: Any) -> Decimal:
    from conduit.pipeline.transport import COST_HEADER

    value = response.headers.get(COST_HEADER)
    return Decimal(value) if value else Decimal(0)


def _raise_for(response: Any, what: str) -> None:
    if response.status_code < 400:
        return
    from conduit.errors import UpstreamError

    try:
        detail = response.json().get("error", {}).get("message", "")
    except ValueError:
        detail = response.text[:200]
    raise UpstreamError(f"The {what} request failed with HTTP {response.status_code}: {detail}", "See `conduit usage` for the attempt.")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
