"""Stored samples: round trip, byte-stable encoding, never overwritten, clear errors."""

from __future__ import annotations

import gzip

import pytest

from codegap.samples import SampleRow, SamplesHeader, SamplesInvalid, encode, frame, prompt_digest, read, write

HEADER = SamplesHeader(claim="c", run_id="r1", model="m", subject="m", seed=3, parameters={"depths": [1, 2]})


def rows() -> list[SampleRow]:
    return [SampleRow(unit=0, instance="u0-a", arm="direct", reply="Answer: 4 <script>x</script>", parsed="4",
                      correct=True, tokens_out=5, meta={"depth": 1}),
            SampleRow(unit=0, instance="u0-a", arm="cot", round=1, reply="é ∑ \u2212", unparseable=True)]


def test_round_trip_and_frame(tmp_path):
    path = tmp_path / "s.jsonl.gz"
    digest = write(path, HEADER, rows())
    header, back = read(path)
    assert header == HEADER and back == rows() and len(digest) == 64
    df = frame(back)
    assert list(df["depth"].fillna(-1)) == [1, -1] and df["reply"][0].startswith("Answer: 4")


def test_encoding_is_byte_stable_and_files_are_never_overwritten(tmp_path):
    assert encode(HEADER, rows()) == encode(HEADER, rows())
    path = tmp_path / "s.jsonl.gz"
    write(path, HEADER, rows())
    with pytest.raises(FileExistsError):
        write(path, HEADER, rows()[:1])
    assert read(path)[1] == rows()


def test_truncated_or_malformed_files_name_file_and_line(tmp_path):
    good = encode(HEADER, rows())
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(SamplesInvalid, match="cut.gz"):
        read(tmp_path / "cut.gz")
    with gzip.open(tmp_path / "bad.gz", "wt") as fh:
        fh.write('{"header": {"claim": "c", "run_id": "r", "model": "m", "subject": "m", "seed": 0, '
                 '"parameters": {}}}\n{"unit": 0, "instance": "x", "arm": "a", "surprise": 1}\n')
    with pytest.raises(SamplesInvalid, match="line 2"):
        read(tmp_path / "bad.gz")
    with pytest.raises(SamplesInvalid, match="not found"):
        read(tmp_path / "missing.gz")


def test_prompt_digest_of_text_and_conversation():
    assert prompt_digest("hi") != prompt_digest([("user", "hi")])
    assert prompt_digest([("user", "hi")]) == prompt_digest([("user", "hi")])


def test_written_files_get_the_ordinary_mode_not_mkstemps_0600(tmp_path):
    """Records and samples are shared evidence: readable like any file the user creates."""
    import os
    import stat

    from codegap import atomic

    p = atomic.write_new(tmp_path / "r.json", "{}")
    q = atomic.replace(tmp_path / "c.json", "{}")
    expected = 0o666 & ~atomic._UMASK
    assert stat.S_IMODE(os.stat(p).st_mode) == expected
    assert stat.S_IMODE(os.stat(q).st_mode) == expected
