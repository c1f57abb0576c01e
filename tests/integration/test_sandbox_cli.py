"""``conduit sandbox`` in a child process, driven over HTTP (control API) like a bench script would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Iterator

import openai
import pytest

from conduit.sandbox import Fault, RemoteSandbox, ScriptedReply


@pytest.fixture
def server() -> Iterator[tuple[str, str, str]]:
    """Start ``conduit sandbox --port 0``; yield (banner, base_url, api_key); stop it."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200")
    process = subprocess.Popen(
        [sys.executable, "-m", "conduit.cli.app", "sandbox", "--port", "0", "--date", "2026-11-26"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    base_url = api_key = ""
    deadline = time.monotonic() + 60
    try:
        assert process.stdout is not None
        while not api_key and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("export OPENAI_BASE_URL="):
                base_url = line.split("=", 1)[1].strip()
            if line.startswith("export OPENAI_API_KEY="):
                api_key = line.split("=", 1)[1].strip()
        assert base_url and api_key, "".join(lines)
        yield "".join(lines), base_url, api_key
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(10) == 0  # a clean stop, not a crash
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_cli_banner_says_simulation_and_serves_the_sdk(server: tuple[str, str, str]) -> None:
    banner, base_url, api_key = server
    assert "SIMULATION" in banner and "No real model" in banner
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert "simulated" in completion.choices[0].message.content


def test_control_api_drives_faults_scripts_and_log(server: tuple[str, str, str]) -> None:
    _, base_url, api_key = server
    remote = RemoteSandbox(base_url)
    remote.reset()
    remote.inject(Fault("rate_limit", count=1, retry_after=0.25))
    remote.script(ScriptedReply(content="from the control API"))
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert info.value.response.headers["retry-after-ms"] == "250"
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert completion.choices[0].message.content == "from the control API"
    log = remote.requests
    assert [(r.path, r.status, r.fault) for r in log] == [
        ("/v1/chat/completions", 429, "rate_limit"),
        ("/v1/chat/completions", 200, None),
    ]
    assert api_key not in str(log)
    remote.reset()
    assert remote.requests == []


def test_cli_refuses_a_bad_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conduit.cli.app", "sandbox", "--date", "yesterday"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr
