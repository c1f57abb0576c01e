"""ffmpeg, when installed, for the conversions the standard library cannot do.

Splitting an MP3/M4A/Ogg/WebM/FLAC recording needs its samples, and joining
FLAC or Opus speech needs an encoder; conduit decodes and re-encodes those
with the ``ffmpeg`` binary (found on ``PATH`` or ``CONDUIT_FFMPEG``). WAV,
PCM, MP3 and AAC need no ffmpeg at all (see :mod:`conduit.media.join`).
"""

from __future__ import annotations

import os
import shutil
import subprocess

from conduit.errors import ConduitError

__all__ = ["FFmpegMissing", "ffmpeg_path", "to_wav", "from_wav"]

# speech-friendly working format for splitting: 16 kHz mono 16-bit (32 kB/s: 13 min per 25 MB)
_SPLIT_RATE = 16_000
_ENCODERS = {
    "mp3": ["-f", "mp3", "-c:a", "libmp3lame", "-b:a", "64k"],
    "flac": ["-f", "flac"],
    "opus": ["-f", "ogg", "-c:a", "libopus", "-b:a", "48k"],
    "aac": ["-f", "adts", "-c:a", "aac", "-b:a", "64k"],
    "wav": ["-f", "wav", "-c:a", "pcm_s16le"],
    "pcm": ["-f", "s16le", "-ac", "1", "-ar", "24000"],
}

_SUFFIXES = {"mp3": ".mp3", "flac": ".flac", "opus": ".ogg", "aac": ".aac", "wav": ".wav", "pcm": ".pcm"}


class FFmpegMissing(ConduitError):
    """A conversion needs ffmpeg and it is not installed."""


def ffmpeg_path() -> str | None:
    """The ffmpeg binary to use, or None."""
    configured = os.environ.get("CONDUIT_FFMPEG")
    if configured:
        return configured if os.path.exists(configured) else shutil.which(configured)
    return shutil.which("ffmpeg")


def _run(args: list[str], data: bytes, what: str, suffix: str) -> bytes:
    """Run ffmpeg on ``data`` through temporary files.

    Files, not pipes: MP4/M4A inputs may keep their index at the end (needs
    seeking), and FLAC/WAV/MP3 writers go back to fill in the total length.
    """
    import tempfile

    binary = ffmpeg_path()
    if binary is None:
        raise FFmpegMissing(
            f"{what} needs ffmpeg, which is not installed.",
            "Install ffmpeg (apt install ffmpeg / brew install ffmpeg), or use WAV input and "
            "mp3, wav, aac or pcm output, which conduit handles without it.",
        )
    with tempfile.TemporaryDirectory(prefix="conduit-ffmpeg-") as folder:
        source = os.path.join(folder, "input")
        target = os.path.join(folder, "output" + suffix)
        with open(source, "wb") as handle:
            handle.write(data)
        try:
            done = subprocess.run(
                [binary, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", source, *args, target],
                capture_output=True,
                check=False,
                timeout=600,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConduitError(f"{what} failed: ffmpeg could not run ({exc}).", "Check the ffmpeg installation.") from exc
        result = b""
        if done.returncode == 0 and os.path.exists(target):
            with open(target, "rb") as handle:
                result = handle.read()
    if not result:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConduitError(
            f"{what} failed: ffmpeg could not read the audio ({message[-1] if message else 'no output'}).",
            "Check that the file is a complete, supported audio file.",
        )
    return result


def to_wav(data: bytes, *, sample_rate: int = _SPLIT_RATE, mono: bool = True) -> bytes:
    """Decode any audio ffmpeg reads into 16-bit PCM WAV (16 kHz mono by default)."""
    args = ["-vn", "-ar", str(sample_rate)] + (["-ac", "1"] if mono else []) + ["-f", "wav", "-c:a", "pcm_s16le"]
    return _run(args, data, "Decoding the audio", ".wav")


def from_wav(data: bytes, fmt: str) -> bytes:
    """Encode a WAV file into one of the speech formats (mp3, opus, aac, flac, wav, pcm)."""
    if fmt not in _ENCODERS:
        raise ValueError(f"unknown audio format {fmt!r}")
    return _run(_ENCODERS[fmt], data, f"Encoding {fmt} audio", _SUFFIXES[fmt])
