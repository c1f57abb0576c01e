"""Audio durations from real files, for STT estimates before any request.

The fixtures below are 1.5 s of silence (8 kHz mono) encoded by FFmpeg 5.1.9
(Debian 12) with:
  ffmpeg -f lavfi -i anullsrc=r=8000:cl=mono -t 1.5 -c:a pcm_s16le t.wav
  ffmpeg -i t.wav -c:a libmp3lame -b:a 8k t.mp3          (CBR)
  ffmpeg -i t.wav -c:a libmp3lame -q:a 9 vbr.mp3          (VBR, Xing header)
  ffmpeg -i t.wav -c:a libvorbis -q:a 0 t.ogg
  ffmpeg -i t.wav -c:a libopus -b:a 6k t.opus             (Ogg Opus)
  ffmpeg -i t.wav -c:a flac -compression_level 12 t.flac
  ffmpeg -i t.wav -c:a aac -b:a 8k t.m4a
  ffmpeg -i t.wav -c:a libopus -b:a 6k t.webm
stored zlib-compressed and base64-encoded. Each expected duration is what
``ffprobe -show_entries format=duration`` reports for that file (the MP3s are
1.656 s: the encoder pads to whole 576-sample frames plus its delay frame).
"""

from __future__ import annotations

import base64
import io
import math
import wave
import zlib
from pathlib import Path

import pytest

from conduit.tokens import audio_duration, audio_duration_from_file, audio_duration_upper_bound, count_messages
from conduit.tokens.audio import AUDIO_INPUT_TOKENS_PER_SECOND, audio_part_tokens, sniff_audio_format

FIXTURES: dict[str, str] = {
    "t.mp3": (
        "eNrzdDFmYQAB5ZDgYFcgzc/AwOyTWJZmaqlnZK5naGDAgAD/H1scgHM889LyIeoZxBkY2AMY1IHAEAisQcAFCPyAIAIEkoAgBwjK"
        "QKABCDqBYDIIzAWC5UCwEQR2A8ERIDgHAjeA4BEQvAGBb0DwHwhA9gIdlwx0nLE5ksMYVJgWQBjsAWdm11UxkAb+P5Y4AqSYPcDm"
        "O/q6GoM8HoofYFEHMscaZk4okQCHOWVUMmcjlcw5MmrOqDmj5oyaQ2tzsIDhag4AJ5NPXA=="
    ),
    "vbr.mp3": (
        "eNrzdDFmYQAB5ZDgYFcgzc/AwOyTWJZmaqlnZK5naGDAgAD/H1scgHM889LyIeoZxBkY2AMY1IHAEAisQcAFCPyAIAIEkoAgBwjK"
        "QKABCDqBYDIIzAWC5UCwEQR2A8ERIDgHAjeA4BEQvAGBb0DwHwhA9gIdlwx0nLE5ksMYVJgWQBjsAWdm11UxkAb+P5Y4AqSYPcDm"
        "O/q6GoM8HoofYFEHMscaZk4okQCHOWVUMmcjlcw5MmrOqDmj5oyaQ2tzsIDhag4AJ5NPXA=="
    ),
    "t.ogg": (
        "eNq1Vn1MU1kWvwWUApWtbGUq4kyrduwDy1DGjpZkEqji0FdUfBWF15gdWzpaWvCj1kRnSVgpjMN0nA6+dtBFw0dfYwuvA11aY91l"
        "XLVVK2nYSosrOupmBaQ6O8lm4iZuMntf0dFNNvGvvcm795zzu+fcc8499767dc8eJUgBL9r0+RMj9Jj+qz1bGW8zDu87qNYZaQGj"
        "7J35GUMfzI+nGFtpTfC6JgOO6Me63Kyyn182X+q8jUUQqtp9+BOJtKhkXZG4uJieS5vUNmn21WsPfghBDQTfT4I8g049r8dYMD/m"
        "yDbsgCoMwMI4fMFSJaph2jAMWbBcU636aLlmQrqJX89WHpcvJT/dWmCrRa8vxmqRiuXKKqXchtkhpeEoK/nKuFjba+Qo2uUZAsNm"
        "z6FcxewpjV28abkmgqNnNHExnIdh8l4jt/QTQT2ndFNwVv3b4lJbn0w4eu177LGorUPV8afJPGVCZOYqdH9m7jY+9cXuog1BrsYi"
        "DgX/phQeG7fW0H6CsjRG0udMAC5Xsyq2tdBA2ULQAjgVBzjXDuR/1LnqZkpyShmgd0B44qGwc6W8s77Orq2zO4/Yz11wv/fcU5Tw"
        "PJ0LZJvbB9PAdQC47fzPvpePWZVW+btIzZiU2ftTtvQRpz6KhbrUlm0Rq5IlXiBuH0fa2BNbpCRrBXND5Zn6CE/x4ewD9cx6dp53"
        "BTgOV7OUW/ghq5GFLuQfPCG/ztsYkSJniCpUSI3Y5RkiW3zFTDexBX2XHMnFbjqIuKxwAQBp6+FXy2xrH2SCPgDYrVasErlKqLeI"
        "PyOwE8g1KzYmDXYdtIhnedvHxNfzzZVIkGvcIp3m1bMKpvPNrBJ6D7Phlyvr5RemtKxngNZVutOkrm+v7rTwqPOcu0/odj864nx8"
        "yuk+2udyO90Bj8vtMRw5q6PRs4jbDVm9253ocDfcdA7c8T92+5+EvU0XvYNTZ91hvyvgbXJ7Gi96DQnPmqnA34+45045E0edjwPu"
        "xB3vXMD7FLId7sIpZyLsTYT9VNjr0UO0b+COB+o+DdO6g8+diTn/XDjgCXt/mPJ7nnuprIuzAb8n7PEMeAcTXlHCb5iS3fjn9tj7"
        "myd/qrplqpn0NcZMjSrISnbttFfETNqYzbTLpFU9g+jmnTbtrRptnU1777B25zcVcHKNvRmiv/mm8d4zbd1k8y2TSWXTTu3U1j3T"
        "7nrWVne++Z6yRrVu187JzZOxZtVk825/4/23IFvz13hbjd10P96s7TKdKQ5Ah/xPEu41iVFPIlScCBQPBhr/7aGyrgwkQsNQeHf0"
        "q4ap0R/n/OI/BpryLw4t++7p89Cwy934e89AwlmYCBgSo/sSgQMWyLrXPA/MhWn2x8Toe6z+xFyg4GZg6I7325uBItZFz7IrDVOX"
        "f7gT2D/mLWKd/0fhtW+zNsT8bQ9jpv6BqdC+rCvRdYdHAWhhpMMq/3W47OUWL+Qzl2jYBSGemY1l8h3bxQv5mmw0lE+wUTmfiEKg"
        "HpZg/kk2utdFjKNCkqxGFb1EHGsQOSdwVu8IB9VRRBRvQPwTmAGaKplxQA0hObID1SHGKjTU48iWFZCOKCqntBH5jZ7+qLTS5Yhi"
        "cpevGtVDUyg6TEbRRiqYh+pEjigOgQmskfLhK+HilvIb3ScxVO6Ca0x3E9mlBadaO1HEZevEBrtORsuFglYLKid9nWjhvKk2DNdT"
        "sS5MISE6oakgXIPy5SkLJW3VWBY8MdBd3w59g8hfLdP3OnIVBWJfrgYuzoWAI0eFuIK5qi8pX61SIbF3qg1U7DYqksZxPSqKRzEL"
        "5etSVV0I1uoXCZKmoFcoFYzjFL14wbCtE6c1cIuEiKoRxGdFDdCUyiBx2tWG4Vgt9oU4VGtU+GIE/gUEFIWSEFffJHmEAXCpJRWU"
        "tWRoe8atNlDGAeBjlsZSvpdzcEyKfIlFpKsFxmwZE9FGypl8MiJlkiMT0vRegpAhCMlRCQVkHF8DQM8lBuBdWrj58yAjc1FdBtgI"
        "2ZAwyDWHeCS3dZzbz4GbTXKhKZKjiZRf5xoj5chSSK0WmNkyhISdkCTgHZSZDy8+wzhRmw8dWsKYd0jNErfzDmGlyGJzFbqa/DoH"
        "z0K0drRDEBrDP6eu3q7MoNriJXpBKKreRF2tVRcA8AQ69OSSTLi2XgCs6aCM9iAi3cNWw+uRv5YphjcPrL5uOrYlEEjnmyPSGViM"
        "spluI1vG7G2FHUlEYdBmDH3MSzp5iAYIDN7eBfsBYA5tqzce+7oHXtcp4AgscTEKk0VuQkI8B0dFB4w1UGqWDO5TLaxuMq5+wnNM"
        "4BbfYQiIQvgGGtBHaGBQMkkD03c/pQFj5AIAdxekg6HUZRUfrOZmFLwMAhrWWKSfEWqLeKZ7AyoOdRkjSAjmUjpDA9B1GoAsDUiT"
        "1ExPq5WmxstnaZbJPwRlMPb/FcRDOggCQxESduf6X1ApfPKl7P/d2f5bBHj3M9PBz+nL9tTKSwvzFxXReWDDXwX3CtdsoZPdLmaS"
        "h7agcoHEUi4kjTlQq3Ucb4CnHkOXmgl1Ft9G4JnwTtAjLh+BCZFgngJ1kfGSmVWOTlxB+buk6aQjjjdQQbYMHfbFMf2wCf7tKV8c"
        "bxQ5CFwvCsXVBgFpx/UueNyqXL5clYKWKajgbTU8VXlZ4EHTftBSOXSg3eb4w+W/PEimks8AaSUoTDxdR3ysQwz3gaY2ouLpeZkZ"
        "bhVdVrCirMlqpGVYKZRVoxl0/DNJGU1l8OePB4wOUi+yI/hFRr6iiFdUTrJWk5PnrSTVhHQ5J6kMwS+J5r+WctCSSt/UK2dX9YdX"
        "GNY+vJzKBvRTJKUK/I5x7Ng2Zop5MTP5umOCfwFQmdly/PjeaVY2O4eTy83Lf5u3YhV4raW9eBG+8+pFSD8sT3/3FsZjvKGBN7Sk"
        "6bQHRa9Mp8IxWPXQxX6Tqf8AAe1J9A=="
    ),
    "t.opus": (
        "eNrzT08PZmBigAIrGw0REM2ycc1XRmH/gtJij9TEFEZGC0YHebACf5ByBmTljEBar1Ozj9EOpDwkMb2YFyjik1iWZmqpZ2SuZ2hg"
        "AFIiC8Specn5KalFtkDJZKCkMVhSISczKR+oE2Jyw26EySBXTWcrWGvEzkYq4OB+Zq28OoGDY81mvmOjJH4SHPIsFVKM8JBnBtIL"
        "drBclMITwoPYQwCr9tRg"
    ),
    "t.flac": (
        "eNrty8Erg3Ecx/Hv8xie2fMMY0pKSHF6GpEcZMVt+wcc12zFgRJTbrv4B3aynMhhBydO8ihtJ0U9F7ltuUhqltCKzOd79Ceoz7t+"
        "9fp+f79fNplaEpExM27GRUIijvEuDRG3VrYXD+pXuye2N/z5Gj1OBLB08DSZymVn593pOXcqFjOwiOJkNtKbq5mthT+XeRkRxhhj"
        "jDHGGGOMMcYYY4wxxhhjjP3/Ws1xS26Au5zSuAWPwkqzAg7sK9vK4N6PMnCvnwrKdh8svCg7HsCJtLKzCiaGlNYbeHqpDH6A1xVl"
        "1ze4k1SGvsDBGaVdBw9XlM4z2BhVhmvgcknZ/QRO+sqeCzD4qOz1wExRGTkH/Yiy7wz01lvNbavfqBYxrJV+AV1sbTo="
    ),
    "t.m4a": (
        "eNqVE8tOAjFwuoB6QMNBojEYMYGbICJqvOGNg5yIJhovhe4C0rKbbSHReODor/gf/oB3Y7iY+Bc4LSAFEhMmncyj03l2ACDlqaeg"
        "WrpKAzigaVv6ArEIABte6LpIq4JR9eXANe03zi7zpxf5k0IBnEJ5i+ym11dBgMix8P0+OuWi32IwB5EfgNgnENBnBmTealEuw7/g"
        "4LlTIe0g/6A6JmZk2RvGtXRk9bgZlymJNOVyqWYvtN/o5C35EKxNkUkLtlj7AborDm/ejZBrMR5Ob6Tf69qWNZRZhXYZd7UNeRHt"
        "rodMQoo5pxk21qdY6HpWCfFeyNNjnpSlqnPkH6WSzLK5F0GJLpXtQGKaKsK5K5k0YxsMBlk0iyLdKSf/yiG1GGpiydfbb1hDjji6"
        "dKlMmyajgbhpj4niDHW2mEnDiqxxc0IrePdsVaj1Olx0RdyWquFbMY4Q92QzYFoIfc4nuZHRyGRUbwYwu7EzqveYoqZfrpr269Ae"
        "Hg48pEHA7QHm2uMfkn1Tvk5jH7eLThuNO+bhjhXNjv0Ckq1wDw=="
    ),
    "t.webm": (
        "eNq11N1LU2EcB/Dn6J5YRKWB0Sv2ghcFjbNipEWwnW3QoLnybIZQ5N5cUvbCWtFFsWeb23RJDZOwFN1GF+oSzFbUiIxa2IUXXYR2"
        "IeGFRVCQRUQXSeecFfv6B/RwDnx+PL/znB+HL2eD+X1mQIgyTvgp3d+YSvjO1EIocsnrahNiUtnOytaJQR9H5EWvVlrvXHhizSfE"
        "kUiVZahFzLJUsVprHz0lVTPW/DWpWmN/4ROzIU4olpvEvLQZoic/F88hTeR/LXmq+zunx8KrBb012HXIebFFV6fZvVej5fmjhqW1"
        "qSOuv3VDeUwef37073THphnnL8Sdyzb2OoQaVx8j23J94cAZT5yRaNRwwnbYITYOhytihcZ8RPXyAQmzsrnkAONycf0zvXKEy8Mq"
        "3Olu27mA/6DX6eG4Wk5frezIn2bR7x90TwR9k7fNmZi53mgzmRtMsaXD+f0z7omEuzSGbzKN3T1St1vq3qN0bznd6jorvUxpipsc"
        "DQa7xVZvit3k+X3ypdXo+FpeWYRUGx8GjP0fGckkGCFB9YoP+7ePNGc6GakKqtXZ8VWvZO8AHwAfAXvBl8Fd4BQ4B34NngUvlMxR"
        "8HrwLrAB7AC3gq+Ak+C74MfgKfAc+EfJZcvBm8FasBncBG4DM3APeAj8FPwGPA/+VXL5SvBWsA5sAR8Hnwe3g3vB98DPwW/Bn8C/"
        "S1ZVgmvAdWAr2AkOgDvA/eAxcAH8DvylZMqBIf8U8k8h/xTyTyH/FPJPIf8U8k8h//Rf/ge7U1I1S4pVIB0hU4vN8h8zmb8+zsij"
        "TunPvBDiCl9Z+R8Nehwj"
    ),}

# ffprobe -v error -show_entries format=duration (FFmpeg 5.1.9) on each fixture
FFPROBE_SECONDS = {
    "t.mp3": 1.656,
    "vbr.mp3": 1.656,
    "t.ogg": 1.5,
    "t.opus": 1.5065,
    "t.flac": 1.5,
    "t.m4a": 1.5,
    "t.webm": 1.508,
}
FORMATS = {"t.mp3": "mp3", "vbr.mp3": "mp3", "t.ogg": "ogg", "t.opus": "ogg", "t.flac": "flac", "t.m4a": "m4a",
           "t.webm": "webm"}


def _fixture(name: str) -> bytes:
    return zlib.decompress(base64.b64decode("".join(FIXTURES[name])))


def _wav(seconds: float, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(b"\x00" * int(seconds * rate) * channels * width)
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_duration_matches_ffprobe(name: str) -> None:
    data = _fixture(name)
    assert sniff_audio_format(data) == FORMATS[name]
    duration = audio_duration(data)
    assert duration is not None
    # within 10 ms of ffprobe (Opus pre-skip is reported slightly differently)
    assert abs(duration - FFPROBE_SECONDS[name]) < 0.01


@pytest.mark.parametrize(("seconds", "rate", "channels"), [(1.0, 16000, 1), (2.5, 44100, 2), (0.25, 8000, 1)])
def test_wav_duration_exact(seconds: float, rate: int, channels: int) -> None:
    assert audio_duration(_wav(seconds, rate, channels)) == pytest.approx(seconds, abs=1e-6)


def test_duration_from_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(_wav(3.0))
    assert audio_duration_from_file(path) == pytest.approx(3.0)


def test_unreadable_audio_gives_none_and_a_safe_upper_bound() -> None:
    assert audio_duration(b"not audio at all") is None
    assert audio_duration(b"RIFF\x00\x00\x00\x00WAVE") is None  # truncated header
    # 2 kbit/s floor (below Opus DTX silence): 1 MB is at most 4000 s of audio
    assert audio_duration_upper_bound(1_000_000) == 4000.0
    for name in FIXTURES:
        data = _fixture(name)
        assert audio_duration_upper_bound(len(data)) >= FFPROBE_SECONDS[name]


def test_input_audio_part_tokens() -> None:
    data = base64.b64encode(_wav(2.0)).decode()
    tokens, exact = audio_part_tokens({"type": "input_audio", "input_audio": {"data": data, "format": "wav"}})
    assert exact is True
    # OpenAI audio docs: user audio is billed 1 token per 100 ms
    assert tokens == math.ceil(2.0 * AUDIO_INPUT_TOKENS_PER_SECOND) == 20
    messages = [{"role": "user", "content": [{"type": "text", "text": "Transcribe"},
                                              {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}]}]
    result = count_messages(messages, "gpt-4o-audio-preview")
    assert result.exact is True
    assert result.tokens >= 20 + 3 + 3
