"""Image generation through ``conduit.OpenAI()`` and ``conduit image``: validated, priced, recorded.

The manual's call is ``client.images.generate(model="dall-e-3", ..., size="1792x1024", style="vivid",
quality="hd")``; DALL·E 3 was shut down on 2026-05-12, so it is refused before any request (naming its
successor) unless ``[models] retired_policy`` says otherwise. Per-image prices: OpenAI pricing page.
"""

from __future__ import annotations

import base64
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
from conduit.catalog import RetiredModelWarning, price
from conduit.errors import RetiredModelError, ValidationError
from conduit.ledger import open_ledger
from conduit.media.moderation import ContentFlagged, screen_prompts
from conduit.sandbox import Sandbox
from conduit.usage import Usage

PROMPT = "Un paisaje futurista al atardecer, estilo cyberpunk"


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lifecycle decisions as of the sandbox's date, so the calendar cannot change these tests."""

    class _Today(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return _dt.datetime(2026, 11, 26, 12, 0, tzinfo=tz or _dt.timezone.utc)

    monkeypatch.setattr("conduit.catalog.spec._dt", types.SimpleNamespace(datetime=_Today, timezone=_dt.timezone, date=_dt.date))


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    from conduit.settings import get_settings

    path = tmp_path / "conduit.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CONDUIT_CONFIG", str(path))
    get_settings.cache_clear()


def _rows() -> list[dict]:
    return open_ledger().exchanges()


def _usage(row: dict) -> Usage:
    return Usage.from_dict(json.loads(row["usage_json"]))


def test_gpt_image_generation_records_images_tokens_and_cost(sandbox_env) -> None:
    client = conduit.OpenAI()
    result = client.images.generate(model="gpt-image-1.5", prompt=PROMPT, size="1024x1024", quality="low", n=2)
    assert len(result.data) == 2 and all(base64.b64decode(item.b64_json)[:4] == b"\x89PNG" for item in result.data)
    [row] = _rows()
    assert row["endpoint"] == "images.generations" and row["status"] == "ok"
    assert row["images"] == 2
    assert row["input_tokens"] == result.usage.input_tokens
    assert row["output_tokens"] == result.usage.output_tokens == 2 * 272  # 1024x1024 low: 272 tokens each
    usage = _usage(row)
    assert (usage.image_size, usage.image_quality, usage.image_output_tokens) == ("1024x1024", "low", 544)
    assert row["cost_usd"] == price("gpt-image-1.5", usage).usd > 0
    assert row["estimate_usd"] >= row["cost_usd"]
    assert row["price_source"] and row["price_version"]


def test_todays_successor_with_extra_quality_is_reserved_as_an_upper_bound(sandbox_env) -> None:
    client = conduit.OpenAI()
    client.images.generate(model="gpt-image-2.5-sunburst", prompt=PROMPT, size="1536x1024", quality="xhigh")
    [row] = _rows()
    assert row["status"] == "ok" and row["model"] == "gpt-image-2.5-sunburst"
    assert row["cost_usd"] == price("gpt-image-2.5-sunburst", _usage(row)).usd
    assert row["estimate_usd"] >= row["cost_usd"] > 0


def test_the_manuals_dalle3_call_is_refused_naming_the_successor(sandbox_env) -> None:
    client = conduit.OpenAI()
    with pytest.raises(RetiredModelError) as caught:
        client.images.generate(model="dall-e-3", prompt=PROMPT, size="1792x1024", style="vivid", quality="hd")
    assert "2026-05-12" in caught.value.message and "gpt-image-2.5-sunburst" in caught.value.message
    assert "retired_policy" in caught.value.hint
    assert sandbox_env.requests == []
    [row] = _rows()
    assert row["status"] == "refused" and row["requested_model"] == "dall-e-3" and row["cost_usd"] == 0


def test_substitute_policy_translates_the_dalle3_call(sandbox_env, tmp_path, monkeypatch) -> None:
    _config(tmp_path, monkeypatch, '[models]\nretired_policy = "substitute"\n')
    client = conduit.OpenAI()
    result = client.images.generate(model="dall-e-3", prompt=PROMPT, size="1792x1024", style="vivid", quality="hd")
    assert result.data[0].b64_json
    [sent] = sandbox_env.requests
    assert sent.json["model"] == "gpt-image-2.5-sunburst"
    assert (sent.json["size"], sent.json["quality"]) == ("1536x1024", "high")
    assert "style" not in sent.json and "vivid" in sent.json["prompt"]
    [row] = _rows()
    assert row["status"] == "ok" and row["model"] == "gpt-image-2.5-sunburst" and row["requested_model"] == "dall-e-3"
    assert "Substituting gpt-image-2.5-sunburst" in row["note"]
    assert row["cost_usd"] == price("gpt-image-2.5-sunburst", _usage(row)).usd


def test_dalle3_per_image_price_while_it_was_served(tmp_path, monkeypatch) -> None:
    """A sandbox dated before the shutdown serves DALL·E 3: the ledger shows 1 image x $0.12 (HD 1792x1024)."""
    monkeypatch.setenv("CONDUIT_DB", str(tmp_path / "ledger.db"))
    _config(tmp_path, monkeypatch, '[models]\nretired_policy = "warn"\n')
    with Sandbox(as_of=_dt.date(2026, 1, 15)) as old:
        client = conduit.OpenAI(api_key=old.api_key, base_url=old.base_url)
        with pytest.warns(RetiredModelWarning):
            result = client.images.generate(model="dall-e-3", prompt=PROMPT, size="1792x1024", style="vivid", quality="hd")
        assert result.data[0].url.startswith(old.url) and result.data[0].revised_prompt
    [row] = _rows()
    assert row["status"] == "ok" and row["images"] == 1
    assert row["cost_usd"] == Decimal("0.12") == row["estimate_usd"]
    assert (_usage(row).image_size, _usage(row).image_quality) == ("1792x1024", "hd")


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"model": "gpt-image-1.5", "size": "1792x1024"}, "1536x1024"),
        ({"model": "gpt-image-1.5", "quality": "hd"}, "medium"),
        ({"model": "gpt-image-1.5", "style": "vivid"}, "style"),
        ({"model": "gpt-image-1.5", "n": 11}, "between 1 and 10"),
        ({"model": "dall-e-3", "n": 2}, "one image per request"),
        ({"model": "dall-e-3", "quality": "high"}, "standard, hd"),
        ({"model": "dall-e-2", "size": "1024x1792"}, "256x256"),
        ({"model": "gpt-image-1.5", "output_format": "gif"}, "png, webp, jpeg"),
    ],
)
def test_invalid_requests_never_reach_the_server(sandbox_env, kwargs, named) -> None:
    client = conduit.OpenAI()
    with pytest.raises(ValidationError) as caught:
        client.images.generate(prompt=PROMPT, **kwargs)
    assert named in caught.value.message + caught.value.hint
    assert sandbox_env.requests == []
    [row] = _rows()
    assert row["status"] == "refused" and row["error_class"] == "ValidationError"


def test_image_edit_is_metered_from_the_multipart_upload(sandbox_env) -> None:
    from conduit.sandbox.media.images import encode

    client = conduit.OpenAI()
    picture = encode("png", 512, 512, "gato")
    result = client.images.edit(model="gpt-image-1.5", image=("gato.png", picture, "image/png"),
                                prompt="Añade un sombrero de copa", quality="low")
    [row] = _rows()
    assert row["endpoint"] == "images.edits" and row["status"] == "ok"
    usage = _usage(row)
    assert usage.image_input_tokens == result.usage.input_tokens_details.image_tokens > 0
    assert row["cost_usd"] == price("gpt-image-1.5", usage).usd
    assert row["estimated_input_tokens"] == row["input_tokens"]  # text + image input tokens counted before upload


def test_edit_with_a_non_image_never_reaches_the_server(sandbox_env) -> None:
    client = conduit.OpenAI()
    with pytest.raises(ValidationError, match="not a PNG / JPEG / WEBP"):
        client.images.edit(model="gpt-image-1.5", image=("nota.txt", b"just text", "text/plain"), prompt="x")
    assert sandbox_env.requests == []


def test_moderation_screen_refuses_flagged_prompts_with_categories(sandbox_env) -> None:
    client = conduit.OpenAI()
    screen_prompts(client)
    with pytest.raises(ContentFlagged) as caught:
        client.images.generate(model="gpt-image-1.5", prompt="A man who will murder and torture people, blood everywhere")
    assert "violence" in caught.value.categories and "violence" in caught.value.message
    assert [r.path for r in sandbox_env.requests] == ["/v1/moderations"]
    client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low")
    rows = {(r["endpoint"], r["status"]) : r for r in _rows()}
    refused = rows[("images.generations", "refused")]
    assert refused["error_class"] == "ContentFlagged" and "violence" in refused["error_message"]
    assert refused["cost_usd"] == 0
    assert rows[("moderations", "ok")]["cost_usd"] == 0
    assert ("images.generations", "ok") in rows
    assert [r.path for r in sandbox_env.requests] == ["/v1/moderations", "/v1/moderations", "/v1/images/generations"]


def _cli(args: list[str], sandbox: Sandbox, cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CONDUIT_"))}
    env.update(OPENAI_BASE_URL=sandbox.base_url, OPENAI_API_KEY=sandbox.api_key, CONDUIT_DB=str(db))
    return subprocess.run([sys.executable, "-m", "conduit.cli.app", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=90)


def test_cli_image_saves_files_and_reports_cost(sandbox_env, tmp_path) -> None:
    db = tmp_path / "cli.db"
    result = _cli(["image", PROMPT, "--model", "gpt-image-1.5", "--quality", "low", "-n", "2",
                   "-o", str(tmp_path / "out.png"), "--json"], sandbox_env, tmp_path, db)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    paths = [Path(p) for p in data["paths"]]
    assert [p.name for p in paths] == ["out-1.png", "out-2.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    row = open_ledger(str(db)).exchange(data["exchange_id"])
    assert row["images"] == 2 and str(row["cost_usd"]) == data["cost_usd"]
    # moderation screened first (the CLI default), free and recorded
    assert [r.path for r in sandbox_env.requests] == ["/v1/moderations", "/v1/images/generations"]


def test_cli_image_refuses_invalid_size_before_sending(sandbox_env, tmp_path) -> None:
    result = _cli(["image", PROMPT, "--model", "gpt-image-1.5", "--size", "800x600", "--no-moderate"],
                  sandbox_env, tmp_path, tmp_path / "cli.db")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "800x600" in message and "1024x1024" in message and "Traceback" not in message
    assert sandbox_env.requests == []


def test_conduit_toml_turns_on_the_moderation_stage_for_every_client(sandbox_env, tmp_path, monkeypatch) -> None:
    (tmp_path / "conduit.toml").write_text('[media]\nmoderate_prompts = "images"\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    from conduit.settings import get_settings

    get_settings.cache_clear()
    client = conduit.OpenAI()  # no screen_prompts() call: the pipeline's stages come from config
    with pytest.raises(ContentFlagged):
        client.images.generate(model="gpt-image-1.5", prompt="A man who will murder and torture people, blood everywhere")
    assert [r.path for r in sandbox_env.requests] == ["/v1/moderations"]


def test_substitute_policy_refuses_uploads_it_cannot_rewrite(sandbox_env, tmp_path, monkeypatch) -> None:
    (tmp_path / "conduit.toml").write_text('[models]\nretired_policy = "substitute"\n')
    monkeypatch.setenv("CONDUIT_CONFIG", str(tmp_path / "conduit.toml"))
    from conduit.settings import get_settings

    get_settings.cache_clear()
    client = conduit.OpenAI()
    with pytest.raises(conduit.RetiredModelError) as info:
        client.images.edit(model="dall-e-2", image=("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"), prompt="x")
    assert "uploads" in info.value.message and "model=" in info.value.hint
    assert sandbox_env.requests == []  # never sent with a retired model
