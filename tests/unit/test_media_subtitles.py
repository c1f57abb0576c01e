"""Joining SRT/VTT transcripts of consecutive parts: shifted times, overlap dropped, renumbered."""

from __future__ import annotations

from conduit.media.subtitles import join_subtitles, parse_cues

PART_1 = """1
00:00:00,000 --> 00:00:04,000
Hola a todos.

2
00:00:04,000 --> 00:00:09,500
Empezamos la reunión.
"""
PART_2 = """WEBVTT

00:00:00.000 --> 00:00:01.500
la reunión.

00:00:01.500 --> 00:00:06.000
Primer punto: el presupuesto.
"""


def test_parse_both_formats() -> None:
    assert [c.text for c in parse_cues(PART_1)] == ["Hola a todos.", "Empezamos la reunión."]
    cues = parse_cues(PART_2)
    assert cues[1].start == 1.5 and cues[1].end == 6.0


def test_join_shifts_times_and_drops_cues_inside_the_overlap() -> None:
    # part 2 starts at 8.0 s with 2.0 s of overlap: its first cue (ends at 1.5 s) repeats part 1
    joined = join_subtitles([(PART_1, 0.0, 0.0), (PART_2, 8.0, 2.0)], "srt")
    assert joined == (
        "1\n00:00:00,000 --> 00:00:04,000\nHola a todos.\n\n"
        "2\n00:00:04,000 --> 00:00:09,500\nEmpezamos la reunión.\n\n"
        "3\n00:00:09,500 --> 00:00:14,000\nPrimer punto: el presupuesto.\n\n"
    )


def test_join_to_vtt_without_overlap() -> None:
    joined = join_subtitles([(PART_1, 0.0, 0.0), (PART_2, 3600.0, 0.0)], "vtt")
    assert joined.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nHola a todos.")
    assert "01:00:00.000 --> 01:00:01.500\nla reunión." in joined
    assert len(parse_cues(joined)) == 4
