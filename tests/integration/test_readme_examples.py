"""The README's examples, run as written against the sandbox, so the README cannot silently rot.

Code is taken from README.md itself (a block is found by a marker it contains, a
command by the start of its line), not copied here: editing an example in the
README changes what runs. Values the README claims in comments (``# 765``,
``# 6 tokens``, ``# $0.24``, the ``--json`` keys, the retired-model message)
are parsed from the README and compared with what actually happens.

CLI commands run as ``python -m conduit.cli.app`` in a child process with the
environment the ``sandbox_env`` fixture set up (session sandbox, per-test ledger).
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import wave
from contextlib import redirect_stdout
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

import conduit
from conduit.ledger import open_ledger

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FILESYSTEM_SERVER = ROOT / "tests" / "npm" / "node_modules" / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)

requires_fs_server = pytest.mark.skipif(
    shutil.which("node") is None or not FILESYSTEM_SERVER.is_file(),
    reason="MCP filesystem server not installed: run `npm ci --prefix tests/npm`",
)


# -- reading the README ---------------------------------------------------------------
def _blocks(lang: str) -> list[str]:
    return [body for fence, body in _FENCE.findall(README) if fence == lang]


def _block(lang: str, marker: str) -> str:
    """The one ``lang`` block of the README that contains ``marker``."""
    found = [body for body in _blocks(lang) if marker in body]
    assert len(found) == 1, f"expected one {lang} block containing {marker!r} in README.md, found {len(found)}"
    return found[0]


def _comment(line: str) -> str:
    """The trailing ``# ...`` comment of a shell or Python line (a ``#`` inside quotes is not one)."""
    quote: str | None = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[i + 1 :].strip()
    return ""


def _line(lang: str, prefix: str) -> str:
    lines = [ln for body in _blocks(lang) for ln in body.splitlines() if ln.startswith(prefix)]
    assert len(lines) == 1, f"expected one {lang} line starting with {prefix!r} in README.md, found {len(lines)}"
    return lines[0]


def _command(prefix: str) -> tuple[list[str], str]:
    """(argv, claim) of the README's bash line that starts with ``prefix``."""
    line = _line("bash", prefix)
    return shlex.split(line, comments=True), _comment(line)


def _normal(text: str) -> str:
    return " ".join(text.split())


# -- running ----------------------------------------------------------------------------
def _cli(argv: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "conduit", argv
    env = dict(os.environ)
    env.pop("CONDUIT_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "conduit.cli.app", *argv[1:]],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=60,
    )


def _exec(source: str, namespace: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """Run a README block as a script; returns its globals and what it printed."""
    namespace = {"__name__": "__readme__"} if namespace is None else namespace
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        exec(compile(source, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    return namespace, buffer.getvalue()


def _statements(source: str, raises: dict[str, type[BaseException]]) -> list[tuple[str, Any]]:
    """Run ``source`` one top-level statement at a time; (line, value) for each expression.

    A statement whose source contains a key of ``raises`` must raise that exception
    (the README shows it failing on purpose); the value recorded is the exception.
    """
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    lines = source.splitlines()
    values: list[tuple[str, Any]] = []
    for node in ast.parse(source).body:
        text = ast.get_source_segment(source, node) or ""
        line = lines[node.lineno - 1]
        expected = next((exc for key, exc in raises.items() if key in text), None)
        if expected is not None:
            with pytest.raises(expected) as caught:
                exec(compile(ast.Module([node], []), "README.md", "exec"), namespace)  # noqa: S102
            values.append((line, caught.value))
        elif isinstance(node, ast.Expr):
            values.append((line, eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace)))  # noqa: S307
        else:
            exec(compile(ast.Module([node], []), "README.md", "exec"), namespace)  # noqa: S102
    return values


def _value(values: list[tuple[str, Any]], prefix: str) -> tuple[Any, str]:
    found = [(value, _comment(line)) for line, value in values if line.startswith(prefix)]
    assert len(found) == 1, f"expected one statement starting with {prefix!r}"
    return found[0]


def _rows() -> list[dict[str, Any]]:
    ledger = open_ledger()
    ledger.flush()
    return ledger.exchanges()


@pytest.fixture
def workdir(sandbox_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch folder as the current directory (the examples write files next to them)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("CONDUIT_CONFIG", raising=False)
    yield work


# -- Ask a model ------------------------------------------------------------------------
def test_ask_json_has_the_keys_the_readme_lists(workdir: Path) -> None:
    argv, claim = _command('conduit ask "hola" --json')
    result = _cli(argv, workdir)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == set(re.findall(r'"(\w+)"', claim))
    assert Decimal(answer["cost_usd"]) > 0 and answer["exchange_id"].startswith("ex_")


def test_retired_model_is_refused_with_the_readme_message(workdir: Path) -> None:
    block = next(b for b in _blocks("") if b.startswith("$ conduit ask hola --model gpt-4\n"))
    command, *expected = block.strip().splitlines()
    result = _cli(shlex.split(command[2:]), workdir)
    assert result.returncode != 0
    assert _normal("\n".join(expected)) in _normal(result.stderr)
    assert result.stdout == ""


# -- Drop-in for the OpenAI SDK -------------------------------------------------------------
def test_dropin_sync_async_and_scope_examples(workdir: Path) -> None:
    _, printed = _exec(_block("python", "from conduit import OpenAI          # instead of"))
    assert "gpt-4o" in printed and "Francia" in printed
    _, streamed = _exec(_block("python", "conduit.AsyncOpenAI()\n    stream = await"))
    assert "gpt-4o-mini" in streamed and "hola" in streamed
    _exec(_block("python", "conduit.Scope(project="))
    rows = sorted(_rows(), key=lambda r: r["created_at"])
    assert [r["status"] for r in rows] == ["ok", "ok", "ok"]
    assert rows[1]["stream"] and rows[1]["cost_usd"] > 0  # the stream is priced although the loop never saw usage
    assert (rows[2]["project"], rows[2]["user_id"], rows[2]["session"]) == ("billing-bot", "ana", "s1")


# -- Tokens, prices and models ---------------------------------------------------------------
def test_token_and_price_python_example_matches_its_comments(workdir: Path) -> None:
    from conduit.errors import RetiredModelError

    values = _statements(_block("python", "conduit.image_input_tokens("), {"check_model(": RetiredModelError})
    tokens, claim = _value(values, "conduit.image_input_tokens(")
    assert tokens == int(claim)
    usd, claim = _value(values, "conduit.price(")
    assert usd == eval(claim.split(";")[0])  # noqa: S307 - "Decimal('0.0075'); None if unknown"
    quote, claim = _value(values, "quote.usd,")
    assert quote[:3] == eval(claim.replace("{...}", "None"))[:3]  # noqa: S307 - usd, source, version
    assert sum(quote[3].values()) == quote[0]
    error, claim = _value(values, "conduit.check_model(")
    shut_down, successor = re.search(r"shut down (\S+); its successor is (\S+)", claim).groups()  # type: ignore[union-attr]
    assert shut_down in str(error) and successor in str(error)


@pytest.mark.parametrize(
    "prefix, expected",
    [
        ("conduit tokens count --model gpt-4o --text", lambda claim, out: out.startswith(claim)),
        ("conduit price dall-e-3", lambda claim, out: Decimal(claim.lstrip("$")) == Decimal(re.search(r"\$([\d.]+)", out).group(1))),
        ("conduit price whisper-1", lambda claim, out: json.loads(out)["cost_usd"] == json.loads(claim.replace(", ...", ""))["cost_usd"]),
    ],
    ids=["tokens-count", "price-image", "price-audio"],
)
def test_offline_cli_prints_what_the_readme_claims(workdir: Path, prefix: str, expected: Any) -> None:
    argv, claim = _command(prefix)
    result = _cli(argv, workdir)
    assert result.returncode == 0, result.stderr
    assert expected(claim, result.stdout), (claim, result.stdout)


# -- Budgets ---------------------------------------------------------------------------------
@pytest.fixture
def _budget_cleanup() -> Iterator[dict[str, Any]]:
    """The README example registers an alert callback and a process-wide budget: undo both."""
    from conduit.budget.alerts import remove_alert_callback
    from conduit.budget.config import active_budgets

    namespace: dict[str, Any] = {"__name__": "__readme__"}
    yield namespace
    if "page_me" in namespace:
        remove_alert_callback(namespace["page_me"])
    for budget in active_budgets():
        budget.deactivate()


def test_budget_python_example(workdir: Path, _budget_cleanup: dict[str, Any]) -> None:
    block = _block("python", "conduit.Budget(\"session:demo\"")
    namespace, printed = _exec(block, _budget_cleanup)
    claim = _comment(next(ln for ln in block.splitlines() if "print(e.message)" in ln))
    assert claim.removesuffix(", ...") in printed
    assert namespace["r"].choices[0].message.content  # the downgraded call answered
    rows = {r["requested_model"]: r for r in _rows()}
    assert rows["gpt-5.4"]["status"] == "ok" and "budget downgrade" in rows["gpt-5.4"]["note"]
    assert rows["gpt-4o-mini"]["status"] == "refused"


def test_budget_cli_commands(workdir: Path) -> None:
    for prefix in ("conduit budget set global", "conduit budget set user:ana"):
        result = _cli(_command(prefix)[0], workdir)
        assert result.returncode == 0, result.stderr
    result = _cli([*_command("conduit budget list")[0], "--json"], workdir)
    listed = {b["scope"]: b for b in json.loads(result.stdout)}
    assert (listed["global"]["limit_usd"], listed["global"]["period"]) == ("5", "month")
    assert (listed["user:ana"]["action"], listed["user:ana"]["timezone"]) == ("downgrade", "Europe/Madrid")
    assert _cli(_command("conduit budget rm user:ana")[0], workdir).returncode == 0
    result = _cli(["conduit", "budget", "list", "--json"], workdir)
    assert [b["scope"] for b in json.loads(result.stdout)] == ["global"]


# -- Retries ---------------------------------------------------------------------------------
def test_fake_clock_example_records_the_waits(workdir: Path, sandbox_env) -> None:
    from conduit.sandbox import Fault

    sandbox_env.inject(Fault("rate_limit", count=2, retry_after=1.5))
    namespace, printed = _exec(_block("python", "FakeClock()"))
    sleeps = namespace["clock"].sleeps
    assert len(sleeps) == 2 and all(s >= 1.5 for s in sleeps), sleeps
    assert str(sleeps[0])[:3] in printed


def test_raw_response_headers_example(workdir: Path) -> None:
    _, printed = _exec(_block("python", "with_raw_response"))
    exchange_line, attempts_line = printed.splitlines()
    assert exchange_line.startswith("ex_")
    assert attempts_line == "None None"  # a first-try answer: no retry, no fallback


# -- Saving money: the response cache ---------------------------------------------------------
def test_response_cache_example(workdir: Path) -> None:
    (workdir / "conduit.toml").write_text(_block("toml", "[cache]"), encoding="utf-8")
    argv, _ = _command('conduit ask "hola" --model gpt-4o-mini --no-stream')
    first, second = _cli(argv, workdir), _cli(argv, workdir)
    assert first.returncode == second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    stats = json.loads(_cli([*_command("conduit cache stats")[0], "--json"], workdir).stdout)
    assert (stats["enabled"], stats["entries"], stats["hits"]) == (True, 1, 1)
    assert Decimal(stats["saved_usd"]) > 0
    assert [r["status"] for r in sorted(_rows(), key=lambda r: r["created_at"])] == ["ok", "cached"]


# -- Security guard --------------------------------------------------------------------------
def test_guard_python_example_matches_its_comments(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conduit.errors import SecurityError

    monkeypatch.setenv("DB_PASSWORD", "S3cr3t-Pa55")
    block = _block("python", "from conduit.guard.secrets import redact")
    values = _statements(block, {"ToolPolicy().check(": SecurityError})
    lines = block.splitlines()
    redacted, _ = _value(values, "redact(")
    claimed = lines[lines.index(next(ln for ln in lines if ln.startswith("redact("))) + 1]
    assert redacted == ast.literal_eval(_comment(claimed))
    action, claim = _value(values, "screen(")
    assert action == ast.literal_eval(claim)
    refusal, claim = _value(values, "ToolPolicy().check(")
    assert str(refusal).startswith(claim.split("(")[0].removeprefix("raises SecurityError: "))


def test_guard_cli_examples(workdir: Path) -> None:
    argv, claim = _command("conduit guard check --text")
    assert _cli(argv, workdir).returncode == int(claim.removeprefix("exit "))
    redacted = _cli(["conduit", "guard", "redact"], workdir, stdin="key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH\n")
    assert redacted.returncode == 0 and "[REDACTED:" in redacted.stdout and "AbCdEf" not in redacted.stdout


# -- Images, transcription and speech -----------------------------------------------------------
def test_media_python_examples(workdir: Path) -> None:
    _exec(_block("python", "client.images.generate("))
    assert (workdir / "paisaje.png").read_bytes().startswith(b"\x89PNG")
    with wave.open(str(workdir / "grabacion.wav"), "wb") as recording:  # 2 s of silence
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(16000)
        recording.writeframes(b"\x00\x00" * 32000)
    namespace = {"__name__": "__readme__", "client": conduit.OpenAI()}
    namespace, _ = _exec(_block("python", "client.audio.transcriptions.create("), namespace)
    assert namespace["text"].text
    _exec(_block("python", "client.audio.speech.create("), namespace)
    assert (workdir / "hola.mp3").stat().st_size > 0
    endpoints = sorted(r["endpoint"] for r in _rows() if r["status"] == "ok")
    # screen_prompts(client): the image prompt went through the free moderations endpoint too
    assert endpoints == ["audio.speech", "audio.transcriptions", "audio.transcriptions", "images.generations", "moderations"]


# -- MCP and the agent -------------------------------------------------------------------------
def _mcp_files(workdir: Path) -> None:
    """The README's mcp.json, with the local filesystem server instead of `npx -y` (no download)."""
    (workdir / "data").mkdir()
    (workdir / "data" / "pedidos.csv").write_text("cliente,importe\nAna,120.50\nLuis,980.00\n", encoding="utf-8")
    shown = json.loads(_block("json", '"mcpServers"'))["mcpServers"]["fs"]
    assert shown["args"][-1] == "./data"
    config = {"mcpServers": {"fs": {"command": "node", "args": [str(FILESYSTEM_SERVER), shown["args"][-1]]}}}
    (workdir / "mcp.json").write_text(json.dumps(config), encoding="utf-8")


@requires_fs_server
def test_mcp_cli_examples(workdir: Path) -> None:
    _mcp_files(workdir)
    result = _cli(_command("conduit mcp call fs read_text_file")[0], workdir)
    assert result.returncode == 0, result.stderr
    assert "Luis,980.00" in result.stdout
    scan = _command("conduit mcp scan")[0]
    assert _cli(scan, workdir).returncode == 1  # the filesystem server's edit_file is flagged
    assert _cli(_command("conduit mcp approve fs edit_file")[0], workdir).returncode == 0
    pins = json.loads(_cli([*scan, "--json"], workdir).stdout)
    assert {row["tool"]: row["pin"] for row in pins["tools"]}["edit_file"] == "pinned"


@requires_fs_server
def test_agent_python_example(workdir: Path, sandbox_env) -> None:
    from conduit.sandbox import ScriptedReply

    _mcp_files(workdir)
    sandbox_env.script(
        ScriptedReply(tool_calls=[{"name": "fs__read_text_file", "arguments": {"path": "pedidos.csv"}}]),
        ScriptedReply(content="Luis, con 980.00"),
    )
    namespace, printed = _exec(_block("python", "conduit.Agent(mcp="))
    result = namespace["result"]
    assert result.output == "Luis, con 980.00"
    assert [(c.tool, c.status) for c in result.tool_calls] == [("read_text_file", "ok")]
    assert result.cost_usd > 0 and result.input_tokens > 0
    assert "Luis,980.00" in printed  # SyncMCPManager read the file too
    ledger = open_ledger()
    ledger.flush()
    calls = [(c["server"], c["tool"], c["status"]) for c in ledger.tool_calls()]
    assert calls.count(("fs", "read_text_file", "ok")) == 2  # the agent's call and the manager's, as the README says


# -- The sandbox -------------------------------------------------------------------------------
def test_sandbox_python_example(workdir: Path) -> None:
    namespace, _ = _exec(_block("python", "from conduit.sandbox import Sandbox, Fault, ScriptedReply"))
    assert namespace["r"].choices[0].message.tool_calls[0].function.name == "read_file"


def test_every_python_toml_and_json_block_parses() -> None:
    import tomllib

    blocks = {"python": _blocks("python"), "toml": _blocks("toml"), "json": _blocks("json")}
    assert all(blocks.values()), "README.md lost its python/toml/json examples"
    for body in blocks["python"]:
        compile(body, "README.md", "exec")
    for body in blocks["toml"]:
        tomllib.loads(body)
    for body in blocks["json"]:
        json.loads(body)
