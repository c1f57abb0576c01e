"""Genuine, minimal media files built with the standard library.

Images: PNG (banded palette image), JPEG (baseline, solid colour), WebP
(lossless VP8L, solid colour), GIF (solid colour), SVG. Audio: WAV and raw PCM
(24 kHz, 16-bit mono tones), MP3 (MPEG-2 Layer III silent frames), AAC (ADTS,
silent AAC-LC frames), FLAC (constant-subframe silence), Opus (silent CELT
packets in Ogg). Every file decodes in standard decoders (FFmpeg, libwebp,
browsers) and has the duration/size the request implies; only WAV/PCM carry
audible content, the compressed formats carry silence of the right length.
"""
