"""Red-team suite over the shared security corpus (../shared/security-corpus).

Every file of the corpus is exercised: injections and benign look-alikes
through the injection screen, poisoned tools through the tool-definition
scanner and the fingerprint, secret look-alikes through the secret finder,
and path-traversal inputs (including the symlink cases, built for real in a
temporary directory) through path containment.

Floors are set a little under the measured figures (bench/guard.py prints
them), so the suite fails when the guard regresses, not on a single row.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from conduit.guard.injection import screen
from conduit.guard.paths import check_path
from conduit.guard.secrets import find_secrets, redact
from conduit.guard.tooldefs import SEVERITY_ORDER, scan_tool, tool_fingerprint

_SHARED_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "security-corpus"
_VENDORED_CORPUS = Path(__file__).resolve().parents[1] / "data" / "security-corpus"  # a copy, for clean checkouts
CORPUS = Path(
    os.environ.get("CONDUIT_SECURITY_CORPUS", _SHARED_CORPUS if _SHARED_CORPUS.is_dir() else _VENDORED_CORPUS)
)
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"security corpus not found at {CORPUS}")

INJECTION_SOURCE = {"direct": "user", "jailbreak": "user", "exfiltration": "user", "indirect": "tool", "tool_poisoning": "tool"}
BENIGN_SOURCE = {"user_request": "user", "email": "tool", "table": "tool", "documentation": "file", "code": "file", "security_prose": "file"}


def _load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def _held_out(row_id: str) -> bool:
    return hashlib.sha256(row_id.encode()).digest()[0] % 3 == 0


# ---------------------------------------------------------------- injections


def test_every_injection_kind_is_mostly_detected() -> None:
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in _load("injections"):
        verdict = screen(row["text"], INJECTION_SOURCE[row["kind"]])
        per_kind[row["kind"]][0] += verdict.action != "allow"
        per_kind[row["kind"]][1] += 1
    assert set(per_kind) == {"direct", "indirect", "jailbreak", "exfiltration", "tool_poisoning"}
    for kind, (hits, total) in per_kind.items():
        assert hits / total >= 0.9, f"{kind}: {hits}/{total}"


def test_held_out_third_is_detected_too() -> None:
    rows = [r for r in _load("injections") if _held_out(r["id"])]
    hits = sum(screen(r["text"], INJECTION_SOURCE[r["kind"]]).action != "allow" for r in rows)
    assert len(rows) >= 10 and hits / len(rows) >= 0.9


def test_explicit_overrides_are_quarantined_or_blocked_in_both_languages() -> None:
    for lang in ("en", "es"):
        rows = [r for r in _load("injections") if r["lang"] == lang and r["kind"] in ("direct", "jailbreak", "tool_poisoning")]
        strong = sum(screen(r["text"], INJECTION_SOURCE[r["kind"]]).action in ("quarantine", "block") for r in rows)
        assert strong / len(rows) >= 0.75, f"{lang}: {strong}/{len(rows)}"


def test_tool_poisoning_text_is_blocked_as_tool_output() -> None:
    rows = [r for r in _load("injections") if r["kind"] == "tool_poisoning"]
    assert all(screen(r["text"], "tool").action in ("quarantine", "block") for r in rows)


def test_benign_look_alikes_are_allowed_from_their_real_source() -> None:
    rows = _load("benign")
    flagged = [r["id"] for r in rows if screen(r["text"], BENIGN_SOURCE[r["category"]]).action != "allow"]
    assert len(flagged) / len(rows) <= 0.03, flagged


def test_benign_hard_negatives_are_never_quarantined_even_as_tool_output() -> None:
    rows = [r for r in _load("benign") if r["hard_negative"]]
    strong = [r["id"] for r in rows if screen(r["text"], "tool").action in ("quarantine", "block")]
    assert strong == []


# ---------------------------------------------------------------- tool definitions


def _tools() -> list[dict[str, Any]]:
    return _load("poisoned_tools")


def _worst(row: dict[str, Any], rows: list[dict[str, Any]]) -> int:
    others = [{"server": r["server"], "tool": r["tool"]} for r in rows if r is not row]
    return max((SEVERITY_ORDER[f.severity] for f in scan_tool(row["server"], row["tool"], others)), default=0)


def test_poisoned_tool_definitions_are_flagged_high() -> None:
    rows = _tools()
    # rug_pull_schema_only is invisible to text scanning by design: the pin catches it
    poisoned = [r for r in rows if r["label"] == "poisoned" and r["attack"] != "rug_pull_schema_only"]
    missed = [r["id"] for r in poisoned if _worst(r, rows) < SEVERITY_ORDER["high"]]
    assert missed == []


def test_benign_tool_definitions_have_no_high_findings() -> None:
    rows = _tools()
    noisy = [r["id"] for r in rows if r["label"] == "benign" and _worst(r, rows) >= SEVERITY_ORDER["high"]]
    assert noisy == []


def test_every_rug_pull_changes_the_fingerprint() -> None:
    pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _tools():
        if row.get("rug_pull_pair"):
            pairs[row["rug_pull_pair"]].append(row)
    assert len(pairs) >= 4
    for name, group in pairs.items():
        baseline = [r for r in group if r["label"] == "benign"]
        changed = [r for r in group if r["label"] == "poisoned"]
        assert baseline and changed, name
        for row in changed:
            assert tool_fingerprint(row["tool"]) != tool_fingerprint(baseline[0]["tool"]), row["id"]


def test_shadowing_names_the_other_tool_or_server() -> None:
    rows = _tools()
    shadow = next(r for r in rows if r["id"] == "dvmcp-c5-calc-shadow")
    trusted = next(r for r in rows if r["id"] == "dvmcp-c5-calc-trusted")
    findings = scan_tool(shadow["server"], shadow["tool"], [{"server": trusted["server"], "tool": trusted["tool"]}])
    assert any(f.code == "name_collision" and trusted["server"] in f.message for f in findings)
    note = next(r for r in rows if r["id"] == "gensec-note")
    upload = {"server": "reports", "tool": {"name": "upload_report", "description": "Upload a report.", "inputSchema": {}}}
    findings = scan_tool(note["server"], note["tool"], [upload])
    assert any(f.code == "cross_tool_reference" and "upload_report" in f.message and f.severity == "high" for f in findings)


# ---------------------------------------------------------------- secrets


def test_secret_look_alikes_are_not_redacted() -> None:
    for row in _load("secrets"):
        assert row["secrets"] == []
        assert find_secrets(row["text"]) == [], row["id"]
        assert redact(row["text"]) == row["text"], row["id"]


def test_benign_corpus_texts_have_no_secrets() -> None:
    assert [r["id"] for r in _load("benign") if find_secrets(r["text"])] == []


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_path_decisions_match_the_corpus(strict: bool) -> None:
    key = "expected_strict" if strict else "expected"
    wrong = []
    for row in _load("paths"):
        if row.get("setup"):
            continue
        decision = check_path(row["root"], row["input"], strict=strict)
        if ("allow" if decision.allowed else "deny") != row[key]:
            wrong.append((row["id"], row["input"][:60], row[key]))
    assert wrong == []


def _rebase(path: str, old_home: str, new_home: Path) -> str:
    return str(new_home / path[len(old_home) + 1 :]) if path.startswith(old_home + "/") or path == old_home else path


def test_symlink_cases_use_the_resolved_path(tmp_path: Path) -> None:
    rows = [r for r in _load("paths") if r.get("setup")]
    assert len(rows) >= 4
    for row in rows:
        home = tmp_path / row["id"]
        old_home = "/home/user"
        root = Path(_rebase(row["root"], old_home, home))
        root.mkdir(parents=True, exist_ok=True)
        (root / "docs").mkdir(exist_ok=True)
        (root / "README.md").write_text("readme")
        (home / ".ssh").mkdir(parents=True, exist_ok=True)
        link = row["setup"]["symlink"]
        link_path = Path(_rebase(link["path"], old_home, home))
        link_path.parent.mkdir(parents=True, exist_ok=True)
        target = link["target"] if not link["target"].startswith(old_home) else _rebase(link["target"], old_home, home)
        if link["target"] == "/home/user/.ssh":
            (home / ".ssh").rmdir()  # dangling: the write would create a file outside the root
        os.symlink(target, link_path)
        for strict, key in ((False, "expected"), (True, "expected_strict")):
            decision = check_path(str(root), row["input"], strict=strict)
            assert ("allow" if decision.allowed else "deny") == row[key], (row["id"], decision)
