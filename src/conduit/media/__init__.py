"""Media helpers for images, transcription and speech: audio probing, splitting, joining, text chunks.

Pure functions over bytes and text (no network): the meters use them to
measure uploads before they are sent, and the CLI commands to split long
recordings on silence, cut long speech input at sentence boundaries, and join
the synthesised parts. ffmpeg is used only where the standard library cannot
decode or encode a format (:mod:`conduit.media.ffmpeg`).
"""

from __future__ import annotations

from conduit.media.join import join_audio
from conduit.media.probe import AudioProbe, audio_seconds, probe_audio, sniff_format
from conduit.media.split import AudioPart, plan_cuts, split_audio, split_pcm
from conduit.media.text import merge_transcripts, split_text
from conduit.media.wav import PcmAudio, read_wav, write_wav

__all__ = [
    "AudioPart",
    "AudioProbe",
    "PcmAudio",
    "audio_seconds",
    "join_audio",
    "merge_transcripts",
    "plan_cuts",
    "probe_audio",
    "read_wav",
    "sniff_format",
    "split_audio",
    "split_pcm",
    "split_text",
    "write_wav",
]
