"""`conduit transcribe`: speech to text through the governed pipeline, any length.

The cost is estimated from the audio's duration before anything is uploaded
(and can be capped with ``--max-cost``). Files over the API's 25 MB limit --
or longer than a model accepts -- are split on silence into WAV parts (with
a short overlap where no silence was found), transcribed one by one under a
progress bar, and joined: text by removing the words repeated at each seam,
SRT/VTT by shifting each part's cue times to its place in the recording.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from conduit.cli._common import err, model_endpoint, money, out
from conduit.cli.image_cmd import ledger_rows, media_setting, raise_for_status, total_cost
from conduit.errors import BudgetExceeded, ValidationError

DEFAULT_TRANSCRIBE_MODEL = "gpt-4o-transcribe"
_FORMATS = ("text", "json", "srt", "vtt")
_SAFETY_BYTES = 512 * 1024  # room for the multipart envelope and fields under the API's limit
_DEFAULT_LIMIT = 25 * 1024 * 1024
# the gpt-4o transcribe models refuse audio longer than 1,500 s ("... longer than 1500 seconds, which is the
# maximum for this model"); parts stay under it with a margin
_MAX_SECONDS = {"gpt-4o-transcribe": 1400.0, "gpt-4o-mini-transcribe": 1400.0, "gpt-4o-transcribe-diarize": 1400.0}
_CONTEXT_CHARS = 200  # tail of the previous part's text passed as the next part's prompt, for continuity


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe)


def _limits(model: str) -> tuple[int, float | None]:
    from conduit.catalog import lookup_model, resolve_family

    spec = lookup_model(model)
    max_bytes = spec.rules.max_file_bytes if spec is not None and spec.rules.max_file_bytes else _DEFAULT_LIMIT
    return max_bytes, _MAX_SECONDS.get(resolve_family(model) or model)


def transcribe(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="Audio file (wav, mp3, m4a, ogg, flac, webm...)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=f"Speech-to-text model (default: \\[media] transcribe_model or {DEFAULT_TRANSCRIBE_MODEL})."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="ISO-639-1 code of the spoken language, e.g. es."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | srt | vtt (srt/vtt: whisper-1, gpt-transcribe)."),
    prompt: Optional[str] = typer.Option(None, "--prompt", help="Context or spellings to guide the model."),
    stream: bool = typer.Option(False, "--stream", help="Print the text as it is recognised (gpt-4o transcribe models)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the transcript to this file instead of stdout."),
    part_seconds: Optional[float] = typer.Option(None, "--part-seconds", min=5.0, help="Split into parts of at most this long (default: what the API accepts)."),
    overlap: float = typer.Option(2.0, "--overlap", min=0.0, max=10.0, help="Seconds repeated across a cut that finds no silence."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", min=0.0, help="Refuse if the estimated cost (USD) is higher."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Use the built-in simulation even if a key is set."),
    session: Optional[str] = typer.Option(None, "--session", help="Tag the exchanges with a session id."),
) -> None:
    """Transcribe an audio file; long files are split on silence and transcribed in parts."""
    from conduit.media.probe import probe_audio
    from conduit.meter.audio import transcription_estimate
    from conduit.tokens import audio_duration_upper_bound

    if fmt not in _FORMATS:
        raise ValidationError(f"Unknown --format {fmt!r}.", f"Use one of: {', '.join(_FORMATS)}.")
    model = model or str(media_setting("transcribe_model", DEFAULT_TRANSCRIBE_MODEL))
    data = file.read_bytes()
    found = probe_audio(data)
    if not found.is_audio:
        raise ValidationError(f"{file} is not an audio file conduit can read.",
                              "Use flac, m4a, mp3, mp4, mpeg, mpga, ogg, wav or webm audio.")
    seconds = found.seconds if found.seconds is not None else audio_duration_upper_bound(len(data))
    estimate = transcription_estimate(model, seconds, prompt)
    err.print(f"[dim]{file.name} · {seconds:.1f} s{'' if found.seconds is not None else ' (upper bound)'} · "
              f"{model} · estimated ≤ {money(estimate.usd)}[/]")
    if max_cost is not None and (estimate.usd is None or estimate.usd > _decimal(max_cost)):
        raise BudgetExceeded(
            f"Transcribing {file.name} is estimated at {money(estimate.usd)}, over --max-cost ${max_cost}.",
            "Raise --max-cost, use a cheaper model (gpt-4o-mini-transcribe), or trim the audio.",
        )
    parts = _parts(data, file.name, model, part_seconds, overlap)

    with model_endpoint(sandbox) as (key, base_url, simulated):
        from conduit.pipeline.clients import wire_client

        with wire_client(api_key=key, base_url=base_url, session=session) as client:
            if stream:
                results, ids = _run_streaming(client, parts, model, language, prompt)
            else:
                results, ids = _run_parts(client, parts, model, language, fmt, prompt)
        rows = ledger_rows(ids)

    transcript = _join(results, parts, fmt)
    cost = total_cost(rows)
    if fmt == "json":
        transcript = json.dumps({
            "text": transcript,
            "model": rows[0].get("model") if rows else model,
            "language": language,
            "seconds": round(seconds, 3),
            "parts": len(parts),
            "cost_usd": None if cost is None else str(cost),
            "estimate_usd": None if estimate.usd is None else str(estimate.usd),
            "exchange_ids": ids,
            "simulated": simulated,
        }, ensure_ascii=False)
    if output is not None:
        output.write_text(transcript if transcript.endswith("\n") else transcript + "\n", encoding="utf-8")
        out.print(str(output), markup=False)
    elif not stream or fmt != "text":
        out.print(transcript, markup=False)
    err.print(f"[dim]{rows[0].get('model') if rows else model} · {seconds:.1f} s in {len(parts)} part(s) · "
              f"{money(cost)}{' · simulated' if simulated else ''}[/]")


def _decimal(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(value))


class _Part:
    """One upload: the bytes, its filename and where it sits in the recording."""

    def __init__(self, data: bytes, filename: str, start: float, overlap: float) -> None:
        self.data = data
        self.filename = filename
        self.start = start
        self.overlap = overlap


def _parts(data: bytes, name: str, model: str, part_seconds: float | None, overlap: float) -> list[_Part]:
    from conduit.media.probe import audio_seconds
    from conduit.media.split import split_audio

    max_bytes, max_seconds = _limits(model)
    if part_seconds is not None:
        max_seconds = min(max_seconds or part_seconds, part_seconds)
    duration = audio_seconds(data)
    fits = len(data) <= max_bytes - _SAFETY_BYTES and (max_seconds is None or duration is None or duration <= max_seconds)
    if fits:
        return [_Part(data, name, 0.0, 0.0)]
    stem = Path(name).stem
    pieces = split_audio(data, max_bytes=max_bytes - _SAFETY_BYTES, max_seconds=max_seconds, overlap=overlap)
    err.print(f"[dim]split into {len(pieces)} parts "
              f"({sum(p.on_silence for p in pieces[:-1])} of {len(pieces) - 1} cuts on silence)[/]")
    return [_Part(p.data, f"{stem}.part{p.index + 1}.wav", p.start, p.overlap) for p in pieces]


def _form(model: str, language: str | None, response_format: str, prompt: str | None) -> dict[str, str]:
    form = {"model": model, "response_format": response_format}
    if language:
        form["language"] = language
    if prompt:
        form["prompt"] = prompt
    return form


def _content_type(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _run_parts(client: Any, parts: list[_Part], model: str, language: str | None, fmt: str,
               prompt: str | None) -> tuple[list[str], list[str]]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from conduit.pipeline.transport import EXCHANGE_HEADER

    response_format = fmt if fmt in ("srt", "vtt") else "json"
    results: list[str] = []
    ids: list[str] = []
    with Progress(TextColumn("[dim]transcribing[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} parts"),
                  TimeElapsedColumn(), console=err, transient=True, disable=len(parts) == 1) as progress:
        task = progress.add_task("transcribe", total=len(parts))
        for part in parts:
            context = prompt
            if results and response_format == "json":
                tail = results[-1][-_CONTEXT_CHARS:]
                context = f"{prompt} {tail}".strip() if prompt else tail
            response = client.post(
                "audio/transcriptions",
                data=_form(model, language, response_format, context),
                files={"file": (part.filename, part.data, _content_type(part.filename))},
            )
            raise_for_status(response.status_code, response.content)
            ids.append(response.headers[EXCHANGE_HEADER])
            results.append(response.text if response_format != "json" else str(response.json().get("text") or ""))
            progress.advance(task)
    return results, ids


def _run_streaming(client: Any, parts: list[_Part], model: str, language: str | None,
                   prompt: str | None) -> tuple[list[str], list[str]]:
    from conduit.pipeline.transport import EXCHANGE_HEADER

    results: list[str] = []
    ids: list[str] = []
    for part in parts:
        form = {**_form(model, language, "json", prompt), "stream": "true"}
        pieces: list[str] = []
        with client.stream("POST", "audio/transcriptions", data=form,
                           files={"file": (part.filename, part.data, _content_type(part.filename))}) as response:
            if response.status_code >= 400:
                raise_for_status(response.status_code, response.read())
            ids.append(response.headers[EXCHANGE_HEADER])
            done: str | None = None
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                try:
                    event = json.loads(line[5:].strip())
                except ValueError:
                    continue
                if event.get("type") == "transcript.text.delta":
                    pieces.append(str(event.get("delta") or ""))
                    out.print(str(event.get("delta") or ""), end="", markup=False)
                elif event.get("type") == "transcript.text.done":
                    done = str(event.get("text") or "")
        results.append(done if done is not None else "".join(pieces))
        out.print(" " if part is not parts[-1] else "", markup=False)
    return results, ids


def _join(results: list[str], parts: list[_Part], fmt: str) -> str:
    if fmt in ("srt", "vtt"):
        from conduit.media.subtitles import join_subtitles

        if len(results) == 1:
            return results[0]
        return join_subtitles([(text, part.start, part.overlap) for text, part in zip(results, parts)], fmt)
    from conduit.media.text import merge_transcripts

    text = ""
    for result, part in zip(results, parts):
        text = merge_transcripts(text, result) if part.overlap else (f"{text} {result}".strip())
    return text
