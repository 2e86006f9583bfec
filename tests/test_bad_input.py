"""Bad input gets a clear message and a row in the skipped table; it never crashes the run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import utils
from data.loading import normalize_languages
from lyrics import lyrics_for_tracks
from data import loading

SR = 22050


def _tone(seconds, sr=SR, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).normal(size=t.size)
    return np.stack([y] * channels, axis=1) if channels > 1 else y


@pytest.fixture()
def messy_folder(tmp_path):
    audio = tmp_path / "audio" / "rock"
    audio.mkdir(parents=True)
    sf.write(audio / "good.wav", _tone(5), SR)
    sf.write(audio / "stereo44k.wav", _tone(5, 44100, 2), 44100)
    sf.write(audio / "silence.wav", np.zeros(5 * SR), SR, subtype="PCM_16")
    sf.write(audio / "short.wav", _tone(1), SR)
    (audio / "empty.wav").write_bytes(b"")
    (audio / "headerless.wav").write_bytes(np.random.default_rng(1).integers(0, 255, 50_000, dtype=np.uint8).tobytes())
    full = (audio / "good.wav").read_bytes()
    (audio / "truncated.wav").write_bytes(full[:30])        # header cut short
    meta = pd.DataFrame({"filename": ["good.wav", "gone.wav", "stereo44k.wav"],
                         "language": ["en", "en", "bn"], "lyrics": ["café au lait", "", ""],
                         "uploader": ["zoë", "x", "y"]})
    meta.to_csv(tmp_path / "metadata.csv", index=False, encoding="latin-1")   # not UTF-8
    return tmp_path


def test_messy_folder_lists_every_bad_file(messy_folder, capsys):
    tracks, skipped = utils.load_tracks("folder", messy_folder)
    out = capsys.readouterr().out
    assert sorted(tracks["track_id"]) == ["good", "stereo44k"]
    reasons = dict(zip(skipped["track_id"], skipped["reason"]))
    assert set(reasons) == {"silence", "short", "empty", "headerless", "truncated", "gone"}
    assert "digital silence" in reasons["silence"]
    assert "too short" in reasons["short"]
    assert "empty file" in reasons["empty"]
    assert "cannot decode" in reasons["headerless"] and "cannot decode" in reasons["truncated"]
    assert "Error opening" not in reasons["headerless"] and "''" not in reasons["headerless"]
    assert reasons["gone"] == "listed in metadata.csv (line 3) but audio file not found"
    assert "not UTF-8" in out and "Latin-1" in out                 # encoding fallback is announced
    assert "extra columns kept" in out and "uploader" in tracks.columns
    assert tracks.set_index("track_id").loc["good", "lyrics"] == "café au lait"
    assert "6 skipped" in out and "headerless" in out              # the summary lists them


def test_stereo_44k_is_resampled_to_mono(messy_folder):
    tracks, _ = utils.load_tracks("folder", messy_folder, verbose=False)
    y = loading.load_audio(tracks.set_index("track_id").loc["stereo44k", "path"])
    assert y.ndim == 1 and abs(len(y) - 5 * utils.SR) <= 1
    X, _ = utils.extract_mfcc_stats(tracks, cache_dir=None, verbose=False)
    assert np.isfinite(X).all()


def test_empty_folder_says_what_is_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="no audio files.*audio/<label>"):
        utils.load_tracks("folder", tmp_path)


def test_missing_folder_and_missing_data_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        utils.load_tracks("gtzan", tmp_path / "nope")
    with pytest.raises(ValueError, match="needs DATA_DIR"):
        utils.load_tracks("folder")


def test_only_bad_files_is_a_clear_error(tmp_path):
    (tmp_path / "audio" / "x").mkdir(parents=True)
    (tmp_path / "audio" / "x" / "a.wav").write_bytes(b"")
    with pytest.raises(ValueError, match="(?s)no usable audio.*empty file"):
        utils.load_tracks("folder", tmp_path)


def test_clip_shorter_than_a_patch_is_a_clear_error(tmp_path):
    sf.write(tmp_path / "a.wav", _tone(1), SR)
    with pytest.raises(ValueError, match="fewer than patch_frames"):
        utils._compute_logmel_patches(loading.load_audio(str(tmp_path / "a.wav")))


def test_gtzan_corrupt_file_like_jazz_00054(tmp_path):
    g = tmp_path / "genres" / "jazz"
    g.mkdir(parents=True)
    sf.write(g / "jazz.00053.wav", _tone(4), SR)
    (g / "jazz.00054.wav").write_bytes(b"\x00" * 2000)     # GTZAN's own unreadable file looks like this
    tracks, skipped = utils.load_tracks("gtzan", tmp_path, verbose=False)
    assert tracks["track_id"].tolist() == ["jazz.00053"]
    assert skipped["track_id"].tolist() == ["jazz.00054"] and "cannot decode" in skipped["reason"][0]


def _wav(path, seconds, sr=SR, channels=1, subtype="PCM_16"):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, _tone(seconds, sr, channels), sr, subtype=subtype)
    return path


def test_label_is_the_first_folder_below_audio_at_any_depth(tmp_path, capsys):
    _wav(tmp_path / "audio" / "rock" / "album1" / "cd2" / "x.wav", 4)
    _wav(tmp_path / "audio" / "jazz" / "y.wav", 4)
    _wav(tmp_path / "audio" / "loose.wav", 4)              # no label folder
    tracks, skipped = utils.load_tracks("folder", tmp_path)
    labels = dict(zip(tracks["track_id"], tracks["genre"]))
    assert labels["x"] == "rock" and labels["y"] == "jazz" and pd.isna(labels["loose"])
    assert skipped.empty


def test_truncated_wav_with_intact_header_is_listed_or_kept_with_a_note(tmp_path, capsys):
    whole = _wav(tmp_path / "src" / "whole.wav", 10).read_bytes()
    audio = tmp_path / "audio" / "pop"
    audio.mkdir(parents=True)
    (audio / "cut_long.wav").write_bytes(whole[:44 + 2 * SR * 6])     # header says 10 s, 6 s of data
    (audio / "cut_short.wav").write_bytes(whole[:44 + 2 * SR * 1])    # 1 s of data
    tracks, skipped = utils.load_tracks("folder", tmp_path)
    out = capsys.readouterr().out
    assert tracks["track_id"].tolist() == ["cut_long"]
    reason = skipped.set_index("track_id").loc["cut_short", "reason"]
    assert reason.startswith("truncated: the header promises 10.00 s, the file holds 1.00 s")
    assert "kept although damaged" in out and "cut_long: truncated: the header promises 10.00 s, the file holds 6.00 s" in out


@pytest.mark.parametrize("subtype", ["FLOAT", "PCM_24"])
def test_float_and_24_bit_wavs_load(tmp_path, subtype):
    _wav(tmp_path / "audio" / "a" / f"{subtype}.wav", 4, subtype=subtype)
    tracks, skipped = utils.load_tracks("folder", tmp_path, verbose=False)
    assert len(tracks) == 1 and skipped.empty


def test_other_formats_read_or_listed_and_hidden_files_counted(tmp_path, capsys):
    folder = tmp_path / "audio" / "blues"
    _wav(folder / "a.wav", 4)
    sf.write(folder / "b.aiff", _tone(4), SR)                          # libsndfile reads AIFF
    sf.write(folder / "c.opus", _tone(4, 48000), 48000, format="OGG", subtype="OPUS")
    (folder / "d.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 100)
    (folder / "e.wma").write_bytes(b"0&\xb2u" + b"\x00" * 100)
    (folder / "._a.wav").write_bytes(b"\x00\x05\x16\x07")            # macOS resource fork
    (folder / ".DS_Store").write_bytes(b"\x00" * 10)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    tracks, skipped = utils.load_tracks("folder", tmp_path)
    out = capsys.readouterr().out
    assert sorted(tracks["track_id"]) == ["a", "b", "c"]
    reasons = dict(zip(skipped["track_id"], skipped["reason"]))
    assert reasons == {"d": "unsupported format (.m4a): convert to wav/flac/mp3",
                       "e": "unsupported format (.wma): convert to wav/flac/mp3"}
    assert "3 hidden, system or non-audio file(s)" in out


def test_nan_samples_are_listed(tmp_path):
    y = _tone(4).astype(np.float32)
    y[100:200] = np.nan
    (tmp_path / "audio" / "x").mkdir(parents=True)
    sf.write(tmp_path / "audio" / "x" / "nan.wav", y, SR, subtype="FLOAT")
    _wav(tmp_path / "audio" / "x" / "ok.wav", 4)
    _, skipped = utils.load_tracks("folder", tmp_path, verbose=False)
    assert skipped["reason"].tolist() == ["audio contains NaN or infinite samples"]


def test_duplicate_and_ambiguous_metadata_rows_are_reported_never_misapplied(tmp_path, capsys):
    _wav(tmp_path / "audio" / "rock" / "song.wav", 4)
    _wav(tmp_path / "audio" / "folk" / "song.wav", 4)                  # same file name under two labels
    _wav(tmp_path / "audio" / "folk" / "other.wav", 4)
    pd.DataFrame({"filename": ["song.wav", "other.wav", "other.wav"], "language": ["en", "bn", "en"],
                  "lyrics": ["x", "first", "second"]}).to_csv(tmp_path / "metadata.csv", index=False)
    tracks, skipped = utils.load_tracks("folder", tmp_path)
    out = capsys.readouterr().out
    by_id = tracks.set_index("track_id")
    assert sorted(by_id.index) == ["folk/song", "other", "rock/song"]    # ids made unique by their path
    assert by_id["language"].isna().sum() == 2                          # neither song.wav got the row
    assert (by_id.loc["other", "language"], by_id.loc["other", "lyrics"]) == ("bn", "first")
    reasons = skipped["reason"].tolist()
    assert any("line 2: filename 'song.wav' matches 2 files (folk/song.wav, rock/song.wav); applied to none" in r
               for r in reasons)
    assert any("duplicate metadata.csv row (line 4) for filename 'other.wav': line 3 is used" in r for r in reasons)
    assert "matches 2 files" in out and "duplicate" in out


def test_paths_written_with_backslashes_or_relative_to_audio_match(tmp_path):
    _wav(tmp_path / "audio" / "rock" / "a.wav", 4)
    _wav(tmp_path / "audio" / "rock" / "b.wav", 4)
    pd.DataFrame({"path": ["audio\\rock\\a.wav", "rock/b.wav"], "language": ["english", "Bangla"]}).to_csv(
        tmp_path / "metadata.csv", index=False)
    tracks, skipped = utils.load_tracks("folder", tmp_path, verbose=False)
    assert skipped.empty
    assert dict(zip(tracks["track_id"], tracks["language"])) == {"a": "en", "b": "bn"}   # normalized


def test_lyrics_empty_cell_is_known_none_and_na_is_unknown(tmp_path):
    for name in ("sung", "instrumental", "unknown", "no_row"):
        _wav(tmp_path / "audio" / "pop" / f"{name}.wav", 4)
    pd.DataFrame({"filename": ["sung.wav", "instrumental.wav", "unknown.wav"], "language": ["en", "en", "en"],
                  "lyrics": ["la la", "", "NA"]}).to_csv(tmp_path / "metadata.csv", index=False)
    tracks, _ = utils.load_tracks("folder", tmp_path, verbose=False)
    lyrics = tracks.set_index("track_id")["lyrics"]
    assert lyrics["sung"] == "la la" and lyrics["instrumental"] == ""
    assert pd.isna(lyrics["unknown"]) and pd.isna(lyrics["no_row"])
    table = lyrics_for_tracks(tracks)
    assert dict(zip(table["track_id"], table["source"])) == {"instrumental": "metadata", "no_row": "none",
                                                            "sung": "metadata", "unknown": "none"}


def test_lyrics_never_come_from_the_language_label(tmp_path):
    """An instrumental label with lyrics left unknown stays unknown: the label decides nothing."""
    _wav(tmp_path / "audio" / "pop" / "a.wav", 4)
    pd.DataFrame({"filename": ["a.wav"], "language": ["instrumental"], "lyrics": ["NA"]}).to_csv(
        tmp_path / "metadata.csv", index=False)
    tracks, _ = utils.load_tracks("folder", tmp_path, verbose=False)
    assert pd.isna(tracks["lyrics"][0])


def test_language_values_are_normalized_and_reported(capsys):
    out = normalize_languages(pd.Series(["English", "eng", " BN", "bangla", "Bengali", "de", None, ""]))
    assert out.tolist()[:6] == ["en", "en", "bn", "bn", "bn", "de"] and out[6:].isna().all()
    printed = capsys.readouterr().out
    assert "language values: bn, de, en" in printed and "'Bengali' -> 'bn'" in printed
    assert "kept as they are (not en/bn): de" in printed


def test_feature_table_errors_name_the_file_and_column(tmp_path):
    header = "filename,length,a,b,label\n"
    cases = {"empty.csv": (b"", "empty.csv: empty file"),
             "header.csv": (header.encode(), "header.csv: no rows, only a header"),
             "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4, "binary.csv: a binary file"),
             "ragged.csv": (b"filename,label,a\nx.wav,rock,1\ny.wav,pop,1,2,3,4\n", "ragged.csv: not a readable CSV")}
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=message):
            utils.load_tracks("features", tmp_path / name)
    (tmp_path / "cells.csv").write_text(header + "x.wav,30,1.5,2.5,rock\ny.wav,30,oops,2.5,pop\nz.wav,30,1,2,pop\n")
    tracks, skipped = utils.load_tracks("features", tmp_path / "cells.csv", verbose=False)
    assert len(tracks) == 2 and skipped["reason"].tolist() == ["missing or non-numeric feature value(s): a='oops'"]
    with pytest.raises(FileNotFoundError, match="not found"):
        utils.load_tracks("features", tmp_path / "nope.csv")


def test_feature_table_language_column_is_a_label(tmp_path):
    (tmp_path / "t.csv").write_text("filename,a,b,label,language\nx.wav,1,2,rock,eng\ny.wav,3,4,pop,bng\n")
    tracks, skipped = utils.load_tracks("features", tmp_path / "t.csv", verbose=False)
    X, names = utils.feature_table_matrix(tracks)
    assert names == ["a", "b"] and tracks["language"].tolist() == ["en", "bn"] and skipped.empty


def test_demo_with_a_users_folder_says_which_dataset_to_choose(tmp_path):
    with pytest.raises(FileNotFoundError, match="For your own data set DATASET to 'folder'"):
        utils.load_tracks("demo", tmp_path)


def test_long_file_is_read_only_around_its_centre(tmp_path):
    sr = 44100
    y = np.zeros((sr * 120, 2), np.float32)                # two minutes of stereo; a marked middle
    y[sr * 60:sr * 61] = 0.5
    path = tmp_path / "long.wav"
    sf.write(path, y, sr, subtype="FLOAT")
    clip = loading.load_audio(str(path), clip_seconds=10)
    assert len(clip) == 10 * utils.SR
    middle = np.flatnonzero(np.abs(clip) > 0.25)
    assert middle.size and abs(middle.mean() / utils.SR - 5.5) < 0.1   # second 60-61 sits at 5-6 s of the clip
