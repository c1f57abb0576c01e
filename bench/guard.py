"""Guard benchmark: detection and false-positive rates per kind, and redact throughput.

Run: python bench/guard.py [--corpus ../shared/security-corpus] [--json]

Rates are reported for the whole shared corpus and for a held-out third of
it (rows whose sha256(id) is 0 mod 3), plus conduit's own cases from
tests/integration/test_redteam_cases.py. "Detected" means the screen's
action is not "allow" (flag, quarantine or block); the quarantine-or-block
rate is shown separately. Benign rows are screened with the source they
would really arrive from (user requests as "user", e-mails and tables as
"tool", documentation, code and prose as "file") and, as a worst case, all
as "tool".
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import string
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from conduit.guard.injection import screen  # noqa: E402
from conduit.guard.paths import check_path  # noqa: E402
from conduit.guard.secrets import find_secrets, redact  # noqa: E402
from conduit.guard.tooldefs import SEVERITY_ORDER, scan_tool, tool_fingerprint  # noqa: E402

INJECTION_SOURCE = {"direct": "user", "jailbreak": "user", "exfiltration": "user", "indirect": "tool", "tool_poisoning": "tool"}
BENIGN_SOURCE = {"user_request": "user", "email": "tool", "table": "tool", "documentation": "file", "code": "file", "security_prose": "file"}


def held_out(row_id: str) -> bool:
    return hashlib.sha256(row_id.encode()).digest()[0] % 3 == 0


def load(corpus: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (corpus / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {hits / total:.0%}" if total else "n/a"


def injection_rates(corpus: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split_name, keep in (("all", lambda r: True), ("held-out", lambda r: held_out(r["id"]))):
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # detected, q/b, total
        for row in filter(keep, load(corpus, "injections")):
            verdict = screen(row["text"], INJECTION_SOURCE.get(row["kind"], "tool"))
            for key in (row["kind"], f"lang:{row['lang']}", "ALL"):
                stats[key][0] += verdict.action != "allow"
                stats[key][1] += verdict.action in ("quarantine", "block")
                stats[key][2] += 1
        fps: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # natural source, as tool, total
        for row in filter(keep, load(corpus, "benign")):
            natural = screen(row["text"], BENIGN_SOURCE.get(row["category"], "tool")).action != "allow"
            as_tool = screen(row["text"], "tool").action != "allow"
            for key in (row["category"], "hard_negative" if row["hard_negative"] else "plain", "ALL"):
                fps[key][0] += natural
                fps[key][1] += as_tool
                fps[key][2] += 1
        out[split_name] = {
            "detection": {k: {"detected": _rate(v[0], v[2]), "quarantine_or_block": _rate(v[1], v[2])} for k, v in sorted(stats.items())},
            "false_positive": {k: {"natural_source": _rate(v[0], v[2]), "as_tool": _rate(v[1], v[2])} for k, v in sorted(fps.items())},
        }
    return out


def own_case_rates() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("own", ROOT / "tests/integration/test_redteam_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    attacks = sum(screen(t, s).action != "allow" for s, t, _ in module.OWN_ATTACKS)
    benign = sum(screen(t, s).action != "allow" for s, t, _ in module.OWN_BENIGN)
    return {"detection": _rate(attacks, len(module.OWN_ATTACKS)), "false_positive": _rate(benign, len(module.OWN_BENIGN))}


def tooldef_rates(corpus: Path) -> dict[str, Any]:
    rows = load(corpus, "poisoned_tools")
    everything = [{"server": r["server"], "tool": r["tool"]} for r in rows]
    per_attack: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    benign_fp = [0, 0]
    for row in rows:
        others = [e for e in everything if e["tool"] is not row["tool"]]
        worst = max((SEVERITY_ORDER[f.severity] for f in scan_tool(row["server"], row["tool"], others)), default=0)
        flagged = worst >= SEVERITY_ORDER["high"]
        if row["label"] == "poisoned":
            per_attack[row["attack"]][0] += flagged
            per_attack[row["attack"]][1] += 1
        else:
            benign_fp[0] += flagged
            benign_fp[1] += 1
    pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("rug_pull_pair"):
            pairs[row["rug_pull_pair"]].append(row)
    changed = sum(len({tool_fingerprint(r["tool"]) for r in group}) == len(group) for group in pairs.values())
    result: dict[str, Any] = {f"scan {k} (>= high)": _rate(v[0], v[1]) for k, v in sorted(per_attack.items())}
    result["scan benign false positive (>= high)"] = _rate(*benign_fp)
    result["rug-pull pairs caught by fingerprint"] = _rate(changed, len(pairs))
    return result


def path_rates(corpus: Path) -> dict[str, str]:
    rows = [r for r in load(corpus, "paths") if not r.get("setup")]
    out = {}
    for strict, key in ((False, "expected"), (True, "expected_strict")):
        agree = sum(("allow" if check_path(r["root"], r["input"], strict=strict).allowed else "deny") == r[key] for r in rows)
        escapes = sum(check_path(r["root"], r["input"], strict=strict).allowed and r[key] == "deny" for r in rows)
        out[f"{'strict' if strict else 'lenient'} agreement"] = _rate(agree, len(rows))
        out[f"{'strict' if strict else 'lenient'} escapes allowed"] = _rate(escapes, sum(r[key] == "deny" for r in rows))
    out["symlink cases"] = "tested in tests/integration/test_redteam_corpus.py (need a real directory tree)"
    return out


def _fake(prefix: str, alphabet: str, length: int, rng: random.Random) -> str:
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def synthetic_secrets(rng: random.Random) -> dict[str, list[str]]:
    """Format-valid random secrets per kind (never real ones)."""
    a62 = string.ascii_letters + string.digits
    b64u = a62 + "-_"
    upper32 = string.ascii_uppercase + "234567"
    samples: dict[str, list[str]] = defaultdict(list)
    for _ in range(20):
        samples["openai-key"].append(_fake("sk-proj-", b64u, 40, rng) + "T3BlbkFJ" + _fake("", b64u, 40, rng))
        samples["openai-key"].append(_fake("sk-", a62, 20, rng) + "T3BlbkFJ" + _fake("", a62, 20, rng))
        samples["aws-access-key"].append(_fake("AKIA", upper32, 16, rng))
        samples["aws-secret-key"].append("aws_secret_access_key = " + _fake("", a62 + "/+", 40, rng))
        samples["github-token"].append(_fake("ghp_", a62, 36, rng))
        samples["github-token"].append(_fake("github_pat_", a62 + "_", 82, rng))
        samples["gitlab-token"].append(_fake("glpat-", b64u, 20, rng))
        samples["slack-token"].append(f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-" + _fake("", a62, 24, rng))
        samples["stripe-key"].append(_fake("sk_live_", a62, 24, rng))
        samples["google-api-key"].append(_fake("AIza", b64u, 35, rng))
        header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        samples["jwt"].append(f"{header}.eyJ{_fake('', b64u, 40, rng)}.{_fake('', b64u, 43, rng)}")
        samples["private-key"].append("-----BEGIN OPENSSH PRIVATE KEY-----\n" + _fake("", a62 + "+/", 64, rng) + "\n-----END OPENSSH PRIVATE KEY-----")
        samples["url-password"].append("postgres://app:" + _fake("", a62, 16, rng) + "@db.internal:5432/app")
        samples["password"].append('password = "' + _fake("", a62 + "!#%", 14, rng) + '"')
        samples["generic-secret"].append("client_secret=" + _fake("", a62, 32, rng))
    return samples


def secret_rates(corpus: Path) -> dict[str, str]:
    rng = random.Random(7)
    out: dict[str, str] = {}
    for kind, values in synthetic_secrets(rng).items():
        hits = sum(any(f.kind == kind for f in find_secrets(f"config line: {v} # end")) for v in values)
        out[f"detect {kind}"] = _rate(hits, len(values))
    negatives = load(corpus, "secrets")
    false = sum(bool(find_secrets(r["text"])) for r in negatives)
    out["false positives on corpus look-alikes"] = _rate(false, len(negatives))
    benign = load(corpus, "benign")
    out["false positives on benign corpus texts"] = _rate(sum(bool(find_secrets(r["text"])) for r in benign), len(benign))
    return out


def throughput() -> dict[str, str]:
    rng = random.Random(11)
    words = "request completed in ms status ok user model gpt cache hit miss bytes path items total cost".split()
    clean = "\n".join(" ".join(rng.choice(words) for _ in range(14)) for _ in range(20000))
    log_like = "\n".join(
        f'{{"level":"info","url":"https://api.example.com/v1/items?page={i}","token_count":{i},"msg":"{" ".join(rng.choice(words) for _ in range(8))}"}}'
        for i in range(12000)
    )
    dense = "\n".join(f"key{i}: ghp_{''.join(rng.choice(string.ascii_letters) for _ in range(36))} and more text here" for i in range(8000))
    out = {}
    for name, text in (("clean text (no keywords)", clean), ("JSON log lines with URLs/token words", log_like), ("one secret per line", dense)):
        size = len(text.encode()) / 1e6
        redact(text[:1000])
        start = time.perf_counter()
        rounds = 0
        while time.perf_counter() - start < 1.0:
            redact(text)
            rounds += 1
        elapsed = time.perf_counter() - start
        out[name] = f"{size * rounds / elapsed:.1f} MB/s ({size:.2f} MB per call)"
    lines = log_like.splitlines()[:5000]
    start = time.perf_counter()
    for line in lines:
        redact(line)
    out["per log line (JSON, ~150 B)"] = f"{(time.perf_counter() - start) / len(lines) * 1e6:.1f} µs"
    big = "Please summarise this report.\n" + clean[:400_000]
    start = time.perf_counter()
    screen(big, "user")
    out["injection screen, 400 KB prompt"] = f"{(time.perf_counter() - start) * 1000:.0f} ms"
    from conduit.guard.policy import screen_request

    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": " ".join(rng.choice(words) for _ in range(600))} for i in range(60)]
    start = time.perf_counter()
    for n in range(2, len(turns) + 1):
        screen_request("chat.completions", {"model": "gpt-5.4-mini", "messages": turns[:n]})
    per_request = (time.perf_counter() - start) / (len(turns) - 1)
    size = sum(len(t["content"]) for t in turns) / 1000
    out[f"screen_request, growing 60-turn chat ({size:.0f} KB at the end), mean per request"] = f"{per_request * 1000:.1f} ms"
    return out


def worst_cases() -> dict[str, str]:
    """Adversarial shapes that once made regexes backtrack quadratically; now linear."""
    import string as _s

    shapes = {
        "100k newlines": "\n" * 100_000,
        "repeated 'send the data to'": "send the data to " * 6000,
        "100 KB base64 run": "QUJD" * 25_000,
        "repeated private-key header": "-----BEGIN RSA PRIVATE KEY-----" * 3000,
        "repeated '<!--'": "<!--" * 25_000,
        "random printable 100 KB": "".join(random.Random(1).choice(_s.printable) for _ in range(100_000)),
    }
    out = {}
    for name, text in shapes.items():
        start = time.perf_counter()
        screen(text, "tool")
        screen_s = time.perf_counter() - start
        start = time.perf_counter()
        redact(text)
        out[name] = f"screen {screen_s * 1000:.0f} ms, redact {(time.perf_counter() - start) * 1000:.0f} ms"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = ROOT.parent / "shared" / "security-corpus"
    parser.add_argument("--corpus", type=Path, default=shared if shared.is_dir() else ROOT / "tests" / "data" / "security-corpus")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {
        "injection (shared corpus)": injection_rates(args.corpus),
        "injection (conduit's own cases)": own_case_rates(),
        "tool definitions": tooldef_rates(args.corpus),
        "secrets": secret_rates(args.corpus),
        "paths": path_rates(args.corpus),
        "throughput": throughput(),
        "worst cases (adversarial input)": worst_cases(),
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for section, value in report.items():
        print(f"\n== {section}")
        _print(value, 1)


def _print(value: Any, depth: int) -> None:
    for key, item in value.items():
        if isinstance(item, dict):
            print("  " * depth + f"{key}:")
            _print(item, depth + 1)
        else:
            print("  " * depth + f"{key}: {item}")


if __name__ == "__main__":
    main()
