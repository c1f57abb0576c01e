"""Invariant 5 end to end: secrets from inputs never reach log files or the ledger.

Every secret kind the guard knows is pushed through the JSON logger (in the
message and in extras) and into the ledger's error fields; then the raw
bytes of the log file and the SQLite file are scanned for each value.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conduit.guard.secret_handles import secret

SECRETS = {
    "openai": "sk-proj-" + "Ab3dEf6hIj9kLmN0pQrS" * 2 + "T3BlbkFJ" + "tUvWxYz123" * 4,
    "aws": "AKIAZ3MSJV4WWNKWW5FG",
    "github": "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
    "gitlab": "glpat-Ab12Cd34Ef56Gh78Ij90",
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "google": "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "url-password": "S3cr3tP4ssw0rd",
}
HANDLE_VALUE = "plain-words-no-shape-7"


def _lines() -> list[str]:
    return [
        f"openai key {SECRETS['openai']}",
        f"aws {SECRETS['aws']} github {SECRETS['github']} gitlab {SECRETS['gitlab']}",
        f"slack {SECRETS['slack']} stripe {SECRETS['stripe']} google {SECRETS['google']}",
        f"Authorization: Bearer {SECRETS['jwt']}",
        f"connecting to postgres://app:{SECRETS['url-password']}@db.internal/app",
        f"tool printed {HANDLE_VALUE}",
    ]


@pytest.fixture()
def handle(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LEAK_TEST_SECRET", HANDLE_VALUE)
    h = secret("LEAK_TEST_SECRET")
    yield h
    h.forget()


def _assert_clean(blob: bytes) -> None:
    for name, value in {**SECRETS, "handle": HANDLE_VALUE}.items():
        assert value.encode() not in blob, f"{name} leaked"


def test_log_file_holds_no_secret(tmp_path: Path, handle) -> None:  # type: ignore[no-untyped-def]
    from conduit.observability.logging import configure_logging, get_logger

    log_file = tmp_path / "conduit.log"
    handler = configure_logging("INFO", log_file)
    try:
        log = get_logger("guard-leak-test")
        for line in _lines():
            log.info(line)
            log.warning("request failed", extra={"detail": line, "headers": {"Authorization": f"Bearer {SECRETS['github']}"}})
        try:
            raise RuntimeError(_lines()[0])
        except RuntimeError:
            log.exception("boom")
        handler.flush()
    finally:
        logging.getLogger("conduit").removeHandler(handler)
        handler.close()
    blob = log_file.read_bytes()
    assert b"[REDACTED:" in blob and blob.count(b"\n") >= 13
    _assert_clean(blob)


def test_ledger_file_holds_no_secret(tmp_path: Path, handle) -> None:  # type: ignore[no-untyped-def]
    from conduit.ledger import Ledger

    db = tmp_path / "ledger.db"
    ledger = Ledger(str(db))
    for line in _lines():
        ledger.record_tool_call(server="demo", tool="query", status="error", error=line)
    ledger.flush()
    rows = ledger.tool_calls()
    assert len(rows) == len(_lines()) and all("[REDACTED" in (r["error"] or "") for r in rows)
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("ledger.db"))
    _assert_clean(blob)
