"""`conduit speak`: text to speech through the governed pipeline, any length.

Input over the model's 4,096-character limit is cut at sentence boundaries
(:func:`conduit.media.text.split_text`), each chunk is synthesised as its own
governed, priced exchange, and the clips are joined into one file
(:func:`conduit.media.join.join_audio`). Voice, instructions, format and
speed are validated by the speech meter before the first request is sent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from conduit.cli._common import err, model_endpoint, money, out
from conduit.cli.image_cmd import ledger_rows, media_setting, raise_for_status, total_cost
from conduit.errors import ValidationError

DEFAULT_SPEECH_MODEL = "gpt-4o-mini-tts"
DEFAULT_VOICE = "alloy"
_FORMATS = ("mp3", "wav", "opus", "aac", "flac", "pcm")


def register(app: typer.Typer) -> None:
    app.command("speak")(speak)


def _text(text: str, file: Optional[Path]) -> str:
    if file is not None:
        return file.read_text(encoding="utf-8")
    if text == "-":
        return sys.stdin.read()
    return text


def _format(fmt: Optional[str], output: Optional[Path]) -> str:
    if fmt is None and output is not None and output.suffix.lower().lstrip(".") in _FORMATS:
        fmt = output.suffix.lower().lstrip(".")
    fmt = fmt or "mp3"
    if fmt not in _FORMATS:
        raise ValidationError(f"Unknown audio format {fmt!r}.", f"Use one of: {', '.join(_FORMATS)}.")
    return fmt


def speak(
    text: str = typer.Argument("", help="What to say ('-' reads standard input)."),
    file: Optional[Path] = typer.Option(None, "--file", exists=True, dir_okay=False, help="Read the text from this file."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=f"TTS model (default: \\[media] speech_model or {DEFAULT_SPEECH_MODEL})."),
    voice: Optional[str] = typer.Option(None, "--voice", "-v", help=f"Voice (default: \\[media] voice or {DEFAULT_VOICE})."),
    instructions: Optional[str] = typer.Option(None, "--instructions", "-i", help="How to speak (gpt-4o-mini-tts only)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="mp3 | wav | opus | aac | flac | pcm (default: from -o, else mp3)."),
    speed: Optional[float] = typer.Option(None, "--speed", help="0.25 to 4.0 (1.0 is normal)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Audio file to write (default: speech-<time>.<format>)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Use the built-in simulation even if a key is set."),
    session: Optional[str] = typer.Option(None, "--session", help="Tag the exchanges with a session id."),
) -> None:
    """Turn text into speech; long texts are split at sentence boundaries and the audio joined."""
    from conduit.catalog import lookup_model
    from conduit.cli.image_cmd import output_paths
    from conduit.media.text import SPEECH_INPUT_LIMIT, split_text

    content = _text(text, file).strip()
    if not content:
        raise ValidationError("There is no text to speak.", 'Pass the text, e.g. conduit speak "Hola" -o hola.mp3.')
    model = model or str(media_setting("speech_model", DEFAULT_SPEECH_MODEL))
    voice = voice or str(media_setting("voice", DEFAULT_VOICE))
    audio_format = _format(fmt, output)
    spec = lookup_model(model)
    limit = spec.rules.max_input_chars if spec is not None and spec.rules.max_input_chars else SPEECH_INPUT_LIMIT
    chunks = split_text(content, limit)
    [path] = output_paths(output, 1, audio_format, "speech")
    body: dict[str, Any] = {"model": model, "voice": voice, "response_format": audio_format}
    if instructions:
        body["instructions"] = instructions
    if speed is not None:
        body["speed"] = speed

    with model_endpoint(sandbox) as (key, base_url, simulated):
        from conduit.pipeline.clients import wire_client

        with wire_client(api_key=key, base_url=base_url, session=session) as client:
            clips, ids = _synthesise(client, body, chunks)
        rows = ledger_rows(ids)

    from conduit.media.join import join_audio
    from conduit.media.probe import audio_seconds

    audio = join_audio(clips, audio_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(audio)
    seconds = audio_seconds(audio, audio_format)
    cost = total_cost(rows)
    if as_json:
        out.print_json(json.dumps({
            "path": str(path),
            "model": rows[0].get("model") if rows else model,
            "voice": voice,
            "format": audio_format,
            "characters": len(content),
            "parts": len(chunks),
            "seconds": None if seconds is None else round(seconds, 3),
            "cost_usd": None if cost is None else str(cost),
            "exchange_ids": ids,
            "simulated": simulated,
        }))
        return
    out.print(str(path), markup=False)
    length = f"{seconds:.1f} s · " if seconds is not None else ""
    err.print(f"[dim]{rows[0].get('model') if rows else model} · {voice} · {len(content)} chars in {len(chunks)} part(s) · "
              f"{length}{money(cost)}{' · simulated' if simulated else ''}[/]")


def _synthesise(client: Any, body: dict[str, Any], chunks: list[str]) -> tuple[list[bytes], list[str]]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from conduit.pipeline.transport import EXCHANGE_HEADER

    clips: list[bytes] = []
    ids: list[str] = []
    with Progress(TextColumn("[dim]synthesising[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} parts"),
                  TimeElapsedColumn(), console=err, transient=True, disable=len(chunks) == 1) as progress:
        task = progress.add_task("speak", total=len(chunks))
        for chunk in chunks:
            response = client.post("audio/speech", json={**body, "input": chunk})
            raise_for_status(response.status_code, response.content)
            ids.append(response.headers[EXCHANGE_HEADER])
            clips.append(response.content)
            progress.advance(task)
    return clips, ids
