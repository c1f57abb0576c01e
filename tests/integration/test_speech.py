"""Text to speech through ``conduit.OpenAI()`` and ``conduit speak``: characters or tokens, priced and recorded.

The manual's call: ``client.audio.speech.create(model="tts-1", voice="alloy", input="Hola, ¿cómo estás hoy?")``.
Prices: OpenAI pricing page -- TTS $15 / 1M characters, TTS HD $30 / 1M characters; gpt-4o-mini-tts by text
and audio tokens (estimated $0.015 / minute: 1,250 audio tokens per minute).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import sys
import types
from decimal import Decimal
from pathlib import Path

import pytest

import conduit
from conduit.catalog import price
from conduit.errors import ValidationError
from conduit.ledger import open_ledger
from conduit.media.probe import audio_seconds
from conduit.sandbox import Sandbox
from conduit.usage import Usage

HOLA = "Hola, ¿cómo estás hoy?"


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lifecycle decisions as of the sandbox's date (the TTS models shut down on 2027-01-06)."""

    class _Today(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return _dt.datetime(2026, 11, 26, 12, 0, tzinfo=tz or _dt.timezone.utc)

    monkeypatch.setattr("conduit.catalog.spec._dt", types.SimpleNamespace(datetime=_Today, timezone=_dt.timezone, date=_dt.date))


def _rows() -> list[dict]:
    return open_ledger().exchanges()


def _usage(row: dict) -> Usage:
    return Usage.from_dict(json.loads(row["usage_json"]))


def test_manual_call_bills_characters(sandbox_env) -> None:
    client = conduit.OpenAI()
    response = client.audio.speech.create(model="tts-1", voice="alloy", input=HOLA)
    assert audio_seconds(response.content) > 0  # real mp3 frames
    [row] = _rows()
    assert row["endpoint"] == "audio.speech" and row["status"] == "ok"
    assert row["characters"] == 22
    assert row["cost_usd"] == row["estimate_usd"] == Decimal(15) * 22 / 1_000_000


def test_tts1_hd_costs_double(sandbox_env) -> None:
    client = conduit.OpenAI()
    client.audio.speech.create(model="tts-1-hd", voice="nova", input=HOLA, response_format="wav", speed=1.5)
    [row] = _rows()
    assert row["cost_usd"] == Decimal(30) * 22 / 1_000_000


def test_mini_tts_with_instructions_bills_text_and_audio_tokens(sandbox_env) -> None:
    client = conduit.OpenAI()
    response = client.audio.speech.create(model="gpt-4o-mini-tts", voice="coral", input=HOLA,
                                          instructions="Habla como un agente de servicio amable", response_format="wav")
    seconds = audio_seconds(response.content)
    [row] = _rows()
    usage = _usage(row)
    assert usage.input_tokens > 0
    assert usage.audio_output_tokens == row["output_tokens"] == -(-seconds * 1250 // 60)
    assert row["cost_usd"] == price("gpt-4o-mini-tts", usage).usd > 0
    assert row["estimate_usd"] >= row["cost_usd"]
    assert sandbox_env.requests[0].json["instructions"].startswith("Habla")


def test_sse_streaming_speech_is_metered_from_the_done_event(sandbox_env) -> None:
    client = conduit.OpenAI()
    events = []
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="verse", input=HOLA, stream_format="sse", response_format="pcm"
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    done = events[-1]
    assert done["type"] == "speech.audio.done"
    [row] = _rows()
    assert row["status"] == "ok"
    assert row["input_tokens"] == done["usage"]["input_tokens"]
    assert row["output_tokens"] == done["usage"]["output_tokens"]
    assert row["cost_usd"] == price("gpt-4o-mini-tts", _usage(row)).usd


def test_binary_streaming_response_is_metered(sandbox_env) -> None:
    client = conduit.OpenAI()
    chunks = []
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="echo", input=HOLA * 3) as response:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
    assert audio_seconds(b"".join(chunks)) > 0
    [row] = _rows()
    assert row["characters"] == 66 and row["cost_usd"] == Decimal(15) * 66 / 1_000_000


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"model": "tts-1", "voice": "marin"}, "Use one of: alloy, ash, coral"),
        ({"model": "tts-1", "voice": "alloy", "instructions": "amable"}, "does not accept instructions"),
        ({"model": "gpt-4o-mini-tts", "voice": "alloy", "speed": 4.5}, "0.25 and 4.0"),
        ({"model": "gpt-4o-mini-tts", "voice": "alloy", "response_format": "ogg"}, "mp3, opus, aac, flac, wav, pcm"),
        ({"model": "tts-1", "voice": "alloy", "input": "a" * 4097}, "4,096 characters"),
        ({"model": "tts-1", "voice": "alloy", "stream_format": "sse"}, "cannot stream"),
    ],
)
def test_invalid_requests_never_reach_the_server(sandbox_env, kwargs, expected) -> None:
    client = conduit.OpenAI()
    kwargs = {"input": HOLA, **kwargs}
    with pytest.raises(ValidationError) as caught:
        client.audio.speech.create(**kwargs)
    assert expected in caught.value.message + " " + caught.value.hint
    assert sandbox_env.requests == []
    [row] = _rows()
    assert row["status"] == "refused"


# --- conduit speak --------------------------------------------------------------------------------

def _cli(args: list[str], sandbox: Sandbox | None, cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CONDUIT_"))}
    env["CONDUIT_DB"] = str(db)
    if sandbox is not None:
        env.update(OPENAI_BASE_URL=sandbox.base_url, OPENAI_API_KEY=sandbox.api_key)
    return subprocess.run([sys.executable, "-m", "conduit.cli.app", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_cli_speak_with_instructions(sandbox_env, tmp_path) -> None:
    out = tmp_path / "salida.mp3"
    result = _cli(["speak", HOLA, "--instructions", "Habla como un agente de servicio amable", "-o", str(out), "--json"],
                  sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == str(out) and data["format"] == "mp3" and data["parts"] == 1
    assert audio_seconds(out.read_bytes()) == pytest.approx(data["seconds"])
    [row] = open_ledger(str(tmp_path / "cli.db")).exchanges()
    assert str(row["cost_usd"]) == data["cost_usd"] and row["model"] == "gpt-4o-mini-tts"


def test_cli_splits_long_text_at_sentences_and_joins_the_audio(sandbox_env, tmp_path) -> None:
    sentence = "Esta es una frase larga de prueba para el sistema de voz, con varias palabras. "
    text = sentence * 110  # ~8.8k characters: three requests
    source = tmp_path / "texto.txt"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "largo.wav"
    result = _cli(["speak", "--file", str(source), "--model", "tts-1", "--voice", "nova", "-o", str(out), "--json"],
                  sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    inputs = [r.json["input"] for r in sandbox_env.requests]
    assert data["parts"] == len(inputs) == 3
    assert all(len(i) <= 4096 and i.endswith(".") for i in inputs)
    assert " ".join(inputs).split() == text.split()
    rows = open_ledger(str(tmp_path / "cli.db")).exchanges()
    assert sum(r["characters"] for r in rows) == sum(len(i) for i in inputs)
    assert Decimal(data["cost_usd"]) == Decimal(15) * sum(len(i) for i in inputs) / 1_000_000
    # one WAV as long as the three clips together (sandbox speech: 15 characters per second)
    assert audio_seconds(out.read_bytes()) == pytest.approx(sum(len(i) for i in inputs) / 15, rel=0.01)


def test_cli_refuses_instructions_on_tts1_before_sending(sandbox_env, tmp_path) -> None:
    result = _cli(["speak", HOLA, "--model", "tts-1", "--instructions", "amable", "-o", str(tmp_path / "x.mp3")],
                  sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 2 and "does not accept instructions" in " ".join(result.stderr.split())
    assert sandbox_env.requests == [] and not (tmp_path / "x.mp3").exists()


def test_async_client_is_metered_the_same_way(sandbox_env) -> None:
    import asyncio

    async def main() -> bytes:
        client = conduit.AsyncOpenAI()
        response = await client.audio.speech.create(model="tts-1", voice="alloy", input=HOLA, response_format="aac")
        await client.close()
        return response.content

    audio = asyncio.run(main())
    assert audio_seconds(audio, "aac") > 0
    [row] = _rows()
    assert row["status"] == "ok" and row["characters"] == 22 and row["cost_usd"] == Decimal(15) * 22 / 1_000_000
