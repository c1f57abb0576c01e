"""Secret detection and redaction: kinds, spans, precision traps, objects, custom rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from conduit.guard._gitleaks import load_rules_file, parse_rules
from conduit.guard.secrets import SecretFinding, configure_rules, find_secrets, redact, redact_obj, shannon_entropy

OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLmN0pQrS" * 2 + "T3BlbkFJ" + "tUvWxYz123" * 4
CASES = [
    ("openai-key", f"OPENAI_API_KEY={OPENAI}"),
    ("openai-key", "key: sk-" + "a1B2c3D4e5F6g7H8i9J0" + "T3BlbkFJ" + "k1L2m3N4o5P6q7R8s9T0"),
    ("aws-access-key", "aws id AKIAZ3MSJV4WWNKWW5FG in the config"),
    ("aws-secret-key", "aws_secret_access_key = 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"),
    ("github-token", "GH_TOKEN=ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"),
    ("github-token", "github_pat_11ABCDEFG0" + "x" * 3 + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6Qz"),
    ("gitlab-token", "token glpat-Ab12Cd34Ef56Gh78Ij90 for CI"),
    ("slack-token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack-webhook", "https://hooks.slack.com/services/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"),
    ("stripe-key", "stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("google-api-key", "maps key AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI here"),
    ("jwt", "Authorization: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7b1Y\nQ2x9==\n-----END RSA PRIVATE KEY-----"),
    ("url-password", "DATABASE_URL=postgresql://admin:S3cr3tP4ss@db.internal:5432/orders"),
    ("password", 'db_password = "hunter2!x"'),
    ("generic-secret", "client_secret: 9f8Gh2Kq7LmN4pR6sT1vX3zB"),
    ("bearer-token", "Authorization: Bearer abcDEF123456ghiJKL789mno"),
]


@pytest.mark.parametrize("kind,text", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_each_kind_is_found_and_redacted(kind: str, text: str) -> None:
    findings = find_secrets(text)
    assert [f.kind for f in findings] == [kind]
    finding = findings[0]
    value = text[finding.start : finding.end]
    assert len(value) >= 6
    redacted = redact(text)
    assert value not in redacted
    assert f"[REDACTED:{kind}]" in redacted


def test_url_password_keeps_user_and_host() -> None:
    assert redact("postgresql://admin:S3cr3tP4ss@db.internal:5432/orders") == (
        "postgresql://admin:[REDACTED:url-password]@db.internal:5432/orders"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Use a risk-free task-list: sk-ip the boring steps.",
        "Set OPENAI_API_KEY=sk-... in your .env file.",
        'api_key = os.environ["OPENAI_API_KEY"]',
        "OPENAI_API_KEY=${OPENAI_API_KEY}",
        "OPENAI_API_KEY=your-api-key-here",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "request_id=3f2b8c1e-7d4a-4e6b-9c0f-2a1b3c4d5e6f",
        "password: ********",
        "DATABASE_URL=postgresql://localhost:5432/orders",
        "https://user@github.com/acme/repo.git",
        "Token count: 1,536 tokens; max_tokens=4096; tokenizer=o200k_base",
        "ghp_ prefixes identify GitHub classic personal access tokens.",
        "token = ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password_file=/run/secrets/db_password",
        "the passenger: Ms Smith, token_type: bearer",
        "secret = settings.api_secret",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert find_secrets(text) == []
    assert redact(text) == text


def test_finding_never_holds_the_value() -> None:
    text = f"key={OPENAI}"
    finding = find_secrets(text)[0]
    assert isinstance(finding, SecretFinding)
    assert OPENAI not in repr(finding) and OPENAI not in finding.describe()
    assert not any(OPENAI in str(getattr(finding, name)) for name in finding.__slots__)


def test_repeated_value_is_redacted_everywhere() -> None:
    value = "Zq8!mWx2#Lp9vR"
    text = f'password = "{value}"\nlater the log printed {value} again'
    assert value not in redact(text)


def test_several_secrets_and_positions_are_sorted() -> None:
    text = f"a {OPENAI} b AKIAZ3MSJV4WWNKWW5FG c"
    findings = find_secrets(text)
    assert [f.kind for f in findings] == ["openai-key", "aws-access-key"]
    assert findings[0].end <= findings[1].start


def test_redact_obj_handles_nesting_and_credential_keys() -> None:
    obj = {
        "headers": {"Authorization": "Bearer short", "X-Api-Key": "abc", "Accept": "json"},
        "password": "hunter2",
        "max_tokens": 100,
        "token_type": "bearer",
        "items": [f"k={OPENAI}", ("tuple", "AKIAZ3MSJV4WWNKWW5FG")],
        "masked": {"secret": "****"},
    }
    out = redact_obj(obj)
    assert out["headers"] == {"Authorization": "[REDACTED:token]", "X-Api-Key": "[REDACTED:secret]", "Accept": "json"}
    assert out["password"] == "[REDACTED:password]"
    assert out["max_tokens"] == 100 and out["token_type"] == "bearer"
    assert out["items"][0] == "k=[REDACTED:openai-key]"
    assert out["items"][1] == ("tuple", "[REDACTED:aws-access-key]")
    assert out["masked"] == {"secret": "****"}
    assert obj["password"] == "hunter2"  # the input is not mutated


def test_entropy_orders_random_above_words() -> None:
    assert shannon_entropy("aaaaaaaa") == 0
    assert shannon_entropy("9f8Gh2Kq7LmN4pR6") > shannon_entropy("passwordpassword")


def test_redact_is_identity_on_clean_text() -> None:
    text = "request completed in 41 ms status=200 model=gpt-5.4-mini"
    assert redact(text) is text


GITLEAKS_RULE = '''
[[rules]]
id = "acme-token"
description = "ACME internal token"
regex = \'\'\'(?i)\\b(acme_[a-z0-9]{24})(?:[\\s'"]|$)\'\'\'
keywords = ["acme_"]
entropy = 3.0
[rules.allowlist]
stopwords = ["acme_example"]

[[rules]]
id = "path-only"
path = \'\'\'\\.pem$\'\'\'
'''


def test_gitleaks_format_rules_load_and_run(tmp_path: Path) -> None:
    file = tmp_path / "gitleaks.toml"
    file.write_text(GITLEAKS_RULE)
    rules, skipped = load_rules_file(file)
    assert [r.id for r in rules] == ["acme-token"] and skipped == ["path-only"]
    configure_rules(rules)
    try:
        text = "use acme_k2j4h5g6f7d8s9a0q1w2e3r4 now"
        assert [f.kind for f in find_secrets(text)] == ["acme-token"]
        assert find_secrets("acme_exampleexampleexample12") == []
        assert find_secrets(f"k={OPENAI}")  # defaults still active
    finally:
        configure_rules(())


def test_go_inline_flags_are_translated() -> None:
    rules, skipped = parse_rules({"rules": [{"id": "x", "regex": r"token(?i)[[:alnum:]]{4}\z", "keywords": ["token"]}]})
    assert skipped == [] and rules[0].regex.search("tokenAB12")


def test_missing_rules_file_is_a_configuration_error(tmp_path: Path) -> None:
    from conduit.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        load_rules_file(tmp_path / "nope.toml")


def test_extra_rules_from_conduit_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conduit.guard import secrets as secrets_module
    from conduit.settings import get_settings

    (tmp_path / "acme.toml").write_text(GITLEAKS_RULE)
    (tmp_path / "conduit.toml").write_text('[guard.secrets]\nextra_rules = ["acme.toml"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONDUIT_CONFIG", raising=False)
    get_settings.cache_clear()
    secrets_module._default_ruleset.cache_clear()
    try:
        assert [f.kind for f in find_secrets("use acme_k2j4h5g6f7d8s9a0q1w2e3r4 now")] == ["acme-token"]
    finally:
        get_settings.cache_clear()
        secrets_module._default_ruleset.cache_clear()
    monkeypatch.chdir(Path(__file__).parent)
    assert find_secrets("use acme_k2j4h5g6f7d8s9a0q1w2e3r4 now") == []
