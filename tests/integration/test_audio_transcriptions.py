"""Speech to text through ``conduit.OpenAI()`` and ``conduit transcribe``: measured before upload, metered after.

The manual's call: ``client.audio.transcriptions.create(model="gpt-4o-transcribe", file=open("grabacion.wav",
"rb"), language="es")``. Prices: whisper-1 $0.006 / minute (OpenAI pricing page); the gpt-4o transcribe
models by audio/text tokens (genai-prices).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import struct
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
from conduit.sandbox import Sandbox, ScriptedReply
from conduit.sandbox.media import audio as sandbox_audio
from conduit.usage import Usage


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lifecycle decisions as of the sandbox's date (whisper-1 and gpt-4o-transcribe shut down in 2027)."""

    class _Today(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return _dt.datetime(2026, 11, 26, 12, 0, tzinfo=tz or _dt.timezone.utc)

    monkeypatch.setattr("conduit.catalog.spec._dt", types.SimpleNamespace(datetime=_Today, timezone=_dt.timezone, date=_dt.date))


@pytest.fixture
def grabacion(tmp_path: Path) -> Path:
    path = tmp_path / "grabacion.wav"
    path.write_bytes(sandbox_audio.wav(12.5, "hola, ¿cómo estás?"))
    return path


def _rows() -> list[dict]:
    return open_ledger().exchanges()


def _usage(row: dict) -> Usage:
    return Usage.from_dict(json.loads(row["usage_json"]))


def test_manual_call_records_audio_tokens_seconds_and_cost(sandbox_env, grabacion) -> None:
    client = conduit.OpenAI()
    result = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=open(grabacion, "rb"), language="es")
    assert "language es" in result.text
    [row] = _rows()
    assert row["endpoint"] == "audio.transcriptions" and row["status"] == "ok" and row["model"] == "gpt-4o-transcribe"
    assert row["audio_seconds"] == pytest.approx(12.5)
    assert row["audio_input_tokens"] == result.usage.input_token_details.audio_tokens > 0
    assert row["output_tokens"] == result.usage.output_tokens
    assert row["cost_usd"] == price("gpt-4o-transcribe", _usage(row)).usd > 0
    assert row["estimate_usd"] >= row["cost_usd"]
    [sent] = sandbox_env.requests
    assert sent.form["language"] == "es" and sent.form["file"]["filename"] == "grabacion.wav"


def test_whisper_is_billed_per_second_of_audio(sandbox_env, grabacion) -> None:
    client = conduit.OpenAI()
    srt = client.audio.transcriptions.create(model="whisper-1", file=open(grabacion, "rb"), response_format="srt")
    assert "-->" in srt
    verbose = client.audio.transcriptions.create(model="whisper-1", file=open(grabacion, "rb"),
                                                 response_format="verbose_json", timestamp_granularities=["word"])
    assert verbose.words
    rows = _rows()
    assert [r["audio_seconds"] for r in rows] == [13.0, 13.0]  # whisper bills whole seconds
    assert all(r["cost_usd"] == Decimal("0.006") * 13 / 60 for r in rows)


def test_mp3_and_m4a_durations_come_from_their_headers(sandbox_env, tmp_path) -> None:
    client = conduit.OpenAI()
    mp3 = tmp_path / "nota.mp3"
    mp3.write_bytes(sandbox_audio.encode("mp3", 30.0, "x"))
    client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=open(mp3, "rb"))
    [row] = _rows()
    assert row["audio_seconds"] == pytest.approx(30.0, abs=0.05)
    assert row["cost_usd"] == price("gpt-4o-mini-transcribe", _usage(row)).usd


def test_streaming_transcription_is_metered_from_the_done_event(sandbox_env, grabacion) -> None:
    client = conduit.OpenAI()
    events = list(client.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=open(grabacion, "rb"),
                                                     stream=True))
    done = events[-1]
    assert done.type == "transcript.text.done" and done.usage is not None
    assert "".join(e.delta for e in events[:-1]) == done.text
    [row] = _rows()
    assert row["status"] == "ok"
    assert row["input_tokens"] == done.usage.input_tokens and row["output_tokens"] == done.usage.output_tokens
    assert row["cost_usd"] == price("gpt-4o-mini-transcribe", _usage(row)).usd > 0


def test_translation_with_whisper(sandbox_env, grabacion) -> None:
    client = conduit.OpenAI()
    result = client.audio.translations.create(model="whisper-1", file=open(grabacion, "rb"))
    assert "translation" in result.text
    [row] = _rows()
    assert row["endpoint"] == "audio.translations" and row["audio_seconds"] == 13.0


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda c, f: c.audio.transcriptions.create(model="whisper-1", file=f, stream=True), "does not stream"),
        (lambda c, f: c.audio.transcriptions.create(model="gpt-4o-transcribe", file=f, response_format="srt"), "Use one of: json"),
        (lambda c, f: c.audio.transcriptions.create(model="gpt-4o-transcribe", file=f, language="Spanish"), "ISO-639-1"),
        (lambda c, f: c.audio.translations.create(model="gpt-4o-transcribe", file=f), "only whisper-1"),
        (lambda c, f: c.audio.transcriptions.create(model="tts-1", file=f), "not a speech-to-text model"),
    ],
)
def test_invalid_requests_never_reach_the_server(sandbox_env, grabacion, call, expected) -> None:
    client = conduit.OpenAI()
    with pytest.raises(ValidationError) as caught:
        call(client, open(grabacion, "rb"))
    assert expected in caught.value.message + caught.value.hint
    assert sandbox_env.requests == []
    [row] = _rows()
    assert row["status"] == "refused" and row["cost_usd"] == 0


def test_non_audio_and_oversized_files_never_reach_the_server(sandbox_env, tmp_path) -> None:
    client = conduit.OpenAI()
    fake = tmp_path / "informe.wav"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(2000))
    with pytest.raises(ValidationError, match="not an audio file"):
        client.audio.transcriptions.create(model="gpt-4o-transcribe", file=open(fake, "rb"))
    huge = tmp_path / "reunion.wav"
    huge.write_bytes(sandbox_audio.wav(560.0, "x"))  # 26.9 MB of 24 kHz 16-bit PCM
    with pytest.raises(ValidationError, match="limited to 25 MB"):
        client.audio.transcriptions.create(model="whisper-1", file=open(huge, "rb"))
    assert sandbox_env.requests == []


# --- conduit transcribe -----------------------------------------------------------------------------

def _cli(args: list[str], sandbox: Sandbox | None, cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CONDUIT_"))}
    env["CONDUIT_DB"] = str(db)
    if sandbox is not None:
        env.update(OPENAI_BASE_URL=sandbox.base_url, OPENAI_API_KEY=sandbox.api_key)
    return subprocess.run([sys.executable, "-m", "conduit.cli.app", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def _speech_with_pauses(seconds_per_phrase: float, phrases: int) -> bytes:
    """16 kHz mono WAV: tone "phrases" separated by 0.7 s pauses."""
    rate = 16_000
    tone = struct.pack(f"<{int(rate * seconds_per_phrase)}h",
                       *(int(9000 * math.sin(2 * math.pi * 180 * i / rate)) for i in range(int(rate * seconds_per_phrase))))
    pause = bytes(int(rate * 0.7) * 2)
    data = (tone + pause) * phrases
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


def test_cli_without_key_simulates_and_prints_estimate_and_cost(tmp_path, grabacion) -> None:
    result = _cli(["transcribe", str(grabacion), "--language", "es"], None, tmp_path, tmp_path / "l.db")
    assert result.returncode == 0, result.stderr
    assert "simulated transcription" in result.stdout
    assert "estimated ≤ $" in result.stderr and "simulation" in result.stderr
    rows = open_ledger(str(tmp_path / "l.db")).exchanges()
    assert len(rows) == 1 and rows[0]["audio_seconds"] == pytest.approx(12.5)


def test_cli_splits_long_audio_on_silence_and_joins_the_text(sandbox_env, tmp_path) -> None:
    recording = tmp_path / "reunion.wav"
    recording.write_bytes(_speech_with_pauses(4.0, 8))  # 37.6 s
    sandbox_env.script(*(ScriptedReply(content=f"Parte {i} del acta.") for i in range(1, 7)))
    db = tmp_path / "cli.db"
    result = _cli(["transcribe", str(recording), "--model", "whisper-1", "--part-seconds", "10", "--format", "json"],
                  sandbox_env, tmp_path, db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    sent = sandbox_env.requests
    assert data["parts"] == len(sent) >= 4
    assert data["text"] == " ".join(f"Parte {i} del acta." for i in range(1, len(sent) + 1))
    assert "cuts on silence" in result.stderr
    rows = open_ledger(str(db)).exchanges()
    assert len(rows) == len(sent)
    # each part billed by its own length; together they cover the recording exactly once (cuts on silence)
    assert sum(r["audio_seconds"] for r in rows) == pytest.approx(37.6, abs=len(rows))
    assert Decimal(data["cost_usd"]) == sum(r["cost_usd"] for r in rows)
    assert all(r["form"]["file"]["size"] <= 10 * 32_000 + 44 for r in (s.to_dict() for s in sent))


def test_cli_srt_parts_are_shifted_into_one_subtitle_file(sandbox_env, tmp_path) -> None:
    recording = tmp_path / "reunion.wav"
    recording.write_bytes(_speech_with_pauses(4.0, 5))  # 23.5 s
    out = tmp_path / "reunion.srt"
    result = _cli(["transcribe", str(recording), "--model", "whisper-1", "--part-seconds", "10", "--format", "srt",
                   "-o", str(out)], sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 0, result.stderr
    from conduit.media.subtitles import parse_cues

    cues = parse_cues(out.read_text(encoding="utf-8"))
    assert len(cues) >= len(sandbox_env.requests) >= 3
    assert all(a.end <= b.start + 1e-6 for a, b in zip(cues, cues[1:]))
    assert cues[-1].end == pytest.approx(23.5, abs=1.0)
    assert out.read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> ")


def test_cli_stream_prints_text_as_it_arrives(sandbox_env, grabacion, tmp_path) -> None:
    result = _cli(["transcribe", str(grabacion), "--model", "gpt-4o-mini-transcribe", "--stream"],
                  sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 0, result.stderr
    assert "simulated transcription" in result.stdout
    [row] = open_ledger(str(tmp_path / "cli.db")).exchanges()
    assert row["status"] == "ok" and row["output_tokens"] > 0


def test_cli_max_cost_refuses_before_uploading(sandbox_env, grabacion, tmp_path) -> None:
    result = _cli(["transcribe", str(grabacion), "--max-cost", "0.0001"], sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 3
    assert "over --max-cost" in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    assert sandbox_env.requests == []


def test_cli_refuses_a_non_audio_file(sandbox_env, tmp_path) -> None:
    fake = tmp_path / "notas.mp3"
    fake.write_text("esto no es audio", encoding="utf-8")
    result = _cli(["transcribe", str(fake)], sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 2 and "not an audio file" in " ".join(result.stderr.split())
    assert sandbox_env.requests == []
