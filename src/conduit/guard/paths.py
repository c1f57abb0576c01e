"""Path containment for tools rooted at a directory.

A file tool confined to a root must refuse any input that lands outside it:
``..`` traversal, absolute paths, ``~``, prefix siblings (``/root2`` is not
inside ``/root``, CVE-2025-53110), NUL truncation, and symlinks inside the
root that point out (CVE-2025-53109) — the check runs on the *resolved*
path, including a not-yet-existing file under a symlinked parent.

``strict=True`` (the default) also refuses inputs that only become
traversal after some layer decodes them: percent-encoding (single, double,
``%uXXXX``, overlong UTF-8), backslashes, Unicode look-alikes that NFKC
folds to ``.`` or ``/``, drive letters, UNC paths and URL schemes. The
official MCP filesystem server treats those literally (``strict=False``
mirrors it); a conduit tool should not, because the string may pass through
a decoder before it reaches the file system.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass

from conduit.errors import SecurityError

__all__ = ["PathDecision", "check_path", "contain"]

_DRIVE = re.compile(r"^[A-Za-z]:(?:[\\/]|$)")
_UNC = re.compile(r"^(?:\\\\|//)[^\\/]+[\\/]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
_PCT_U = re.compile(r"%u([0-9A-Fa-f]{4})")
_SLASH_LOOKALIKES = str.maketrans({"\u2215": "/", "\u2044": "/", "\u29f8": "/", "\u2216": "\\", "\u29f9": "\\", "\uff0f": "/", "\uff3c": "\\"})


@dataclass(frozen=True, slots=True)
class PathDecision:
    """Whether ``input`` stays inside ``root``; ``resolved`` is the checked location."""

    allowed: bool
    resolved: str
    reason: str


def _is_windows_root(root: str) -> bool:
    return bool(_DRIVE.match(root) or _UNC.match(root))


def _decode_overlong(raw: bytes) -> str:
    """UTF-8 decode that maps overlong 2-byte forms (0xC0/0xC1 leads) to their code point."""
    out: list[str] = []
    index = 0
    while index < len(raw):
        byte = raw[index]
        if byte in (0xC0, 0xC1) and index + 1 < len(raw) and 0x80 <= raw[index + 1] <= 0xBF:
            out.append(chr(((byte & 0x1F) << 6) | (raw[index + 1] & 0x3F)))
            index += 2
            continue
        end = index + 1
        while end < len(raw) and raw[end] not in (0xC0, 0xC1):
            end += 1
        out.append(raw[index:end].decode("utf-8", errors="replace"))
        index = end
    return "".join(out)


def _variants(text: str) -> list[str]:
    """The input as successive decoding layers would see it."""
    seen = [text]
    current = text
    for _ in range(3):
        decoded = _PCT_U.sub(lambda m: chr(int(m.group(1), 16)), current)
        decoded = _decode_overlong(urllib.parse.unquote_to_bytes(decoded))
        if decoded == current:
            break
        seen.append(decoded)
        current = decoded
    folded = [unicodedata.normalize("NFKC", v).translate(_SLASH_LOOKALIKES) for v in seen]
    return list(dict.fromkeys(seen + folded + [v.replace("\\", "/") for v in folded]))


def _lexical_check(root: str, user_path: str, *, resolve: bool) -> PathDecision:
    if "\x00" in user_path:
        return PathDecision(False, "", "contains a NUL byte")
    if _is_windows_root(root):
        base = ntpath.normpath(root)
        candidate = user_path if (ntpath.isabs(user_path) or _DRIVE.match(user_path)) else ntpath.join(base, user_path)
        resolved = ntpath.normpath(candidate)
        inside = ntpath.normcase(resolved) == ntpath.normcase(base) or ntpath.normcase(resolved).startswith(
            ntpath.normcase(base).rstrip("\\") + "\\"
        )
        return PathDecision(inside, resolved, "inside root" if inside else "resolves outside the root")
    if _DRIVE.match(user_path) or _UNC.match(user_path) and user_path.startswith("\\\\"):
        return PathDecision(False, user_path, "a Windows drive or UNC path cannot be inside a POSIX root")
    expanded = os.path.expanduser(user_path) if user_path.startswith("~") else user_path
    base = posixpath.normpath(root)
    candidate = expanded if posixpath.isabs(expanded) else posixpath.join(base, expanded)
    resolved = posixpath.normpath(candidate)
    if resolve:
        base = os.path.realpath(base)
        resolved = os.path.realpath(resolved)
    inside = resolved == base or resolved.startswith(base.rstrip("/") + "/")
    return PathDecision(inside, resolved, "inside root" if inside else "resolves outside the root")


def check_path(root: str, user_path: str, *, strict: bool = True, resolve: bool = True) -> PathDecision:
    """Decide whether ``user_path`` (relative to ``root`` or absolute) stays inside ``root``.

    ``resolve`` follows symlinks that exist on this machine (``realpath``);
    turn it off only to reason about paths of another machine.
    """
    decision = _lexical_check(root, user_path, resolve=resolve)
    if not decision.allowed or not strict:
        return decision
    if _SCHEME.match(user_path) and not _DRIVE.match(user_path):
        return PathDecision(False, decision.resolved, "URL scheme in a file path")
    windows = _is_windows_root(root)
    for variant in _variants(user_path)[1:]:
        if variant == user_path:
            continue
        if "\x00" in variant:
            return PathDecision(False, decision.resolved, "encoded NUL byte")
        if not windows and (_SCHEME.match(variant) or _DRIVE.match(variant)):
            return PathDecision(False, decision.resolved, "encoded scheme or drive")
        other = _lexical_check(root, variant, resolve=resolve)
        if not other.allowed:
            return PathDecision(False, other.resolved, "escapes the root once decoded or normalised (encoded traversal)")
        if not windows and ".." in variant.split("/") and ".." not in user_path.split("/"):
            return PathDecision(False, other.resolved, "decodes to a '..' segment")
    return decision


def contain(root: str, user_path: str, *, strict: bool = True) -> str:
    """The resolved path if ``user_path`` stays inside ``root``; ``SecurityError`` otherwise."""
    decision = check_path(root, user_path, strict=strict)
    if not decision.allowed:
        raise SecurityError(
            f"Path {user_path[:200]!r} is refused: {decision.reason} (root {root}).",
            "Use a path inside the tool's root directory, without '..', encodings or links that lead out.",
        )
    return decision.resolved
