"""Built-in media tools: the model picks generate_image / speak; audio input is transcribed first.

All three go through the governed pipeline (sandbox endpoints), so each is in the ledger.
"""

from __future__ import annotations

import wave
from pathlib import Path

from conduit.agent import Agent
from conduit.sandbox import ScriptedReply

CHAT = "/chat/completions"


def _endpoints(tmp_path: Path) -> list[str]:
    from conduit.ledger import open_ledger

    return sorted(row["endpoint"] for row in open_ledger(str(tmp_path / "ledger.db")).exchanges(limit=20))


def test_draw_a_cat_calls_image_generation(sandbox_env, tmp_path: Path) -> None:
    sandbox_env.script(
        ScriptedReply(path=CHAT, tool_calls=[{"name": "generate_image", "arguments": {"prompt": "un gato naranja", "size": "1024x1024"}}]),
        ScriptedReply(path=CHAT, content="Aquí tienes tu gato."),
    )
    out = tmp_path / "out"
    result = Agent(mcp={}, model="gpt-5.4-mini", output_dir=out).run("Dibuja un gato")
    assert result.output == "Aquí tienes tu gato."
    call = result.tool_calls[0]
    assert (call.server, call.tool, call.status) == ("builtin", "generate_image", "ok"), call.text
    images = list(out.glob("image-*.png"))
    assert len(images) == 1 and images[0].read_bytes().startswith(b"\x89PNG")
    assert str(images[0]) in call.text
    image_requests = [r.json for r in sandbox_env.requests if r.path.endswith("/images/generations")]
    assert image_requests[0]["prompt"] == "un gato naranja"
    assert any("images" in endpoint for endpoint in _endpoints(tmp_path))
    from conduit.ledger import open_ledger

    calls = open_ledger(str(tmp_path / "ledger.db")).tool_calls()
    assert [(c["server"], c["tool"], c["status"]) for c in calls] == [("builtin", "generate_image", "ok")]
    assert calls[0]["exchange_id"] == result.exchange_ids[0]  # tied to the model turn that asked for it
    # the run's cost includes the image, not only the model turns: it equals the ledger's total
    assert result.cost_usd == open_ledger(str(tmp_path / "ledger.db")).totals()["cost_usd"] > 0


def test_speak_saves_audio(sandbox_env, tmp_path: Path) -> None:
    sandbox_env.script(
        ScriptedReply(path=CHAT, tool_calls=[{"name": "speak", "arguments": {"text": "Hola mundo", "voice": "alloy"}}]),
        ScriptedReply(path=CHAT, content="Listo."),
    )
    result = Agent(mcp={}, model="gpt-5.4-mini", output_dir=tmp_path / "out").run("Di hola mundo en voz alta")
    assert result.tool_calls[0].status == "ok", result.tool_calls[0].text
    clips = list((tmp_path / "out").glob("speech-*.mp3"))
    assert len(clips) == 1 and clips[0].stat().st_size > 0
    assert any("speech" in endpoint for endpoint in _endpoints(tmp_path))


def test_audio_input_is_transcribed_then_answered(sandbox_env, tmp_path: Path) -> None:
    audio = tmp_path / "pregunta.wav"
    with wave.open(str(audio), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"\x00\x00" * 16000)
    sandbox_env.script(
        ScriptedReply(path="/audio/transcriptions", content="¿Cuál es la capital de Francia?"),
        ScriptedReply(path=CHAT, content="París."),
    )
    result = Agent(mcp={}, model="gpt-5.4-mini", media=False).run("Responde a la pregunta del audio", audio=audio)
    assert result.output == "París."
    chat = [r.json for r in sandbox_env.requests if r.path.endswith(CHAT)][0]
    user = chat["messages"][-1]["content"]
    assert "¿Cuál es la capital de Francia?" in user and "<<<UNTRUSTED" in user  # a transcript is data, not instructions
    assert any("transcriptions" in endpoint for endpoint in _endpoints(tmp_path))
