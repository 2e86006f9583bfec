"""Bad input gets a clear message and a row in the skipped table; it never crashes the run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import utils
from data.loading import normalize_languages
from lyrics import lyrics_for_tracks
from data import features, loading

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
        features.logmel_patches(loading.load_audio(str(tmp_path / "a.wav")))


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
    assert len(tracks) == 2 and skipped["reason"].tolist() == ["missing, infinite or non-numeric feature value(s): a='oops'"]
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


# ---------------------------------------------------------------------------- round 2 (issue 23)
def _folder(tmp_path, files: dict[str, float], meta: str | None = None):
    """Write audio/<rel> tones of the given seconds and an optional metadata.csv text; return the folder."""
    for rel, seconds in files.items():
        (tmp_path / "audio" / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "audio" / rel, _tone(seconds), SR)
    if meta is not None:
        (tmp_path / "metadata.csv").write_text(meta, encoding="utf-8")
    return tmp_path


def test_1_extra_metadata_columns_keep_their_values_and_names(tmp_path, capsys):
    root = _folder(tmp_path, {"rock/a.wav": 4, "rock/b.wav": 4},
                   "filename,Artist Name,release-year,class,Unnamed: 0\na.wav,Zoë,1999,x,0\nb.wav,Bo,2001,y,1\n")
    tracks, _ = utils.load_tracks("folder", root)
    row = tracks.set_index("track_id").loc["a"]
    assert (row["Artist Name"], row["release-year"], row["class"], row["Unnamed: 0"]) == ("Zoë", "1999", "x", "0")
    assert "extra columns kept as they are: ['Artist Name', 'release-year', 'class', 'Unnamed: 0']" in capsys.readouterr().out


def test_1_a_repeated_header_name_is_reported_and_its_first_column_used(tmp_path, capsys):
    root = _folder(tmp_path, {"rock/a.wav": 4}, "filename,language,language\na.wav,en,bn\n")
    tracks, _ = utils.load_tracks("folder", root)
    out = capsys.readouterr().out
    assert "column name(s) ['language'] appear more than once in the header; the first column of each is used" in out
    assert tracks.loc[0, "language"] == "en" and "language.1" not in tracks.columns


def test_2_one_stem_with_several_extensions_gets_unique_ids(tmp_path, capsys):
    root = _folder(tmp_path, {"rock/t0.wav": 4, "rock/t0.flac": 4, "rock/t1.wav": 4})
    tracks, _ = utils.load_tracks("folder", root)
    assert sorted(tracks["track_id"]) == ["rock/t0.flac", "rock/t0.wav", "t1"]
    assert "share a name but not an extension; their track ids keep the extension" in capsys.readouterr().out


def test_3_broken_links_and_unreadable_folders_are_listed(tmp_path, monkeypatch):
    import os

    root = _folder(tmp_path, {"rock/a.wav": 4, "pop/b.wav": 4})
    (root / "audio" / "rock" / "gone.wav").symlink_to(root / "nowhere.wav")
    real_walk = os.walk

    def walk(top, onerror=None, **kwargs):   # as if audio/pop could not be read (tests often run as root)
        for folder, dirs, names in real_walk(top, onerror=onerror, **kwargs):
            if folder.endswith("pop"):
                onerror(PermissionError(13, "Permission denied", folder))
                continue
            yield folder, dirs, names

    monkeypatch.setattr(loading.os, "walk", walk)
    tracks, skipped = utils.load_tracks("folder", root)
    reasons = dict(zip(skipped["track_id"], skipped["reason"]))
    assert list(tracks["track_id"]) == ["a"]
    assert reasons["gone"] == "broken link: the file it points to does not exist"
    assert reasons["pop"] == "folder cannot be read (permission denied): its files are not used"


def test_3_an_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    root = _folder(tmp_path, {"rock/a.wav": 4, "rock/b.wav": 4})
    real_access = loading.os.access
    monkeypatch.setattr(loading.os, "access", lambda p, mode: not str(p).endswith("b.wav") and real_access(p, mode))
    _, skipped = utils.load_tracks("folder", root)
    assert skipped.set_index("track_id").loc["b", "reason"] == \
        "permission denied: the file cannot be read (check its permissions)"


def test_3_gtzan_files_with_other_names_are_listed(tmp_path):
    for name in ("rock.00001.wav", "rock.0002.wav", "my extra song.wav", "rock.00003.flac"):
        (tmp_path / "rock").mkdir(exist_ok=True)
        sf.write(tmp_path / "rock" / name, _tone(4), SR)
    tracks, skipped = utils.load_tracks("gtzan", tmp_path)
    assert list(tracks["track_id"]) == ["rock.00001"]
    assert sorted(skipped["track_id"]) == ["my extra song", "rock.00003", "rock.0002"]
    assert skipped["reason"].str.startswith("not a GTZAN file name (<genre>.<NNNNN>.au or .wav)").all()


def test_3_metadata_beside_an_audio_data_dir_is_found_and_said(tmp_path, capsys):
    root = _folder(tmp_path, {"rock/a.wav": 4}, "filename,language\na.wav,en\n")
    tracks, _ = utils.load_tracks("folder", root / "audio")
    assert tracks.loc[0, "language"] == "en"
    assert f"DATA_DIR is an audio/ folder; {root / 'metadata.csv'} beside it is used" in capsys.readouterr().out


def test_4_a_file_name_that_is_not_utf8_is_read_with_a_printable_id(tmp_path):
    import os

    root = _folder(tmp_path, {"rock/a.wav": 4})
    name = os.fsdecode(b"caf\xe9.wav")
    sf.write(os.fsencode(str(root / "audio" / "rock" / name)), _tone(4), SR, format="WAV")
    tracks, skipped = utils.load_tracks("folder", root)
    assert sorted(tracks["track_id"]) == ["a", "café"] and skipped.empty
    X, _ = utils.extract_mfcc_stats(tracks, n_jobs=1, cache_dir=None, verbose=False)
    assert np.isfinite(X).all()
    results = tmp_path / "results"
    (results / "figures").mkdir(parents=True)
    utils.save_tables(results, assignments=tracks[["track_id", "path"]])
    assert "café" in (results / "assignments.csv").read_text(encoding="utf-8", errors="replace")


def test_5_absolute_metadata_paths_match_inside_the_folder_and_are_listed_outside(tmp_path):
    root = _folder(tmp_path / "data", {"rock/a.wav": 4, "rock/b.wav": 4})
    (root / "metadata.csv").write_text(f"path,language\n{root / 'audio' / 'rock' / 'a.wav'},en\n/elsewhere/b.wav,bn\n")
    tracks, skipped = utils.load_tracks("folder", root)
    assert tracks.set_index("track_id").loc["a", "language"] == "en"
    assert skipped["reason"].iloc[0] == (f"metadata.csv line 3: an absolute path outside {root}: use a path relative "
                                         "to the folder (e.g. audio/rock/song.mp3)")


def test_6_a_file_that_decodes_shorter_than_its_header_says_is_listed(tmp_path, monkeypatch):
    root = _folder(tmp_path, {"rock/a.wav": 10, "rock/b.wav": 10})
    real_read = loading._read_central

    def read_short(path, info, clip_seconds):   # what a truncated MP3 does: 10 s promised, 1.9 s decoded
        audio = real_read(path, info, clip_seconds)
        return audio[:int(1.9 * SR)] if path.name == "b.wav" else audio

    monkeypatch.setattr(loading, "_read_central", read_short)
    _, skipped = utils.load_tracks("folder", root)
    assert skipped.set_index("track_id").loc["b", "reason"] == \
        "truncated: the header promises 10.00 s, decoding gives 1.90 s < min_duration 3.00 s"


def test_6_a_workers_error_names_its_file(tmp_path):
    root = _folder(tmp_path, {"rock/a.wav": 4})
    tracks, _ = utils.load_tracks("folder", root)
    with pytest.raises(RuntimeError, match=r"a\.wav: .*patch_frames"):
        utils.extract_logmel_patches(tracks, patch_frames=1024, n_jobs=1, cache_dir=None, verbose=False)


def _table(tmp_path, rows: list[dict]):
    table = pd.DataFrame(rows)
    path = tmp_path / "features.csv"
    table.to_csv(path, index=False)
    return path


def _feature_rows(n=6, genres=("rock", "pop")):
    rng = np.random.default_rng(0)
    return [{"filename": f"{genres[i % len(genres)]}.{i:05d}.wav", "length": 661500,
             **{f"f{j}": float(rng.normal()) for j in range(4)}, "label": genres[i % len(genres)]} for i in range(n)]


def test_7_infinite_feature_values_are_listed_like_missing_ones(tmp_path):
    rows = _feature_rows()
    rows[1]["f0"], rows[2]["f1"], rows[3]["f2"] = "inf", "-Infinity", "1e400"
    tracks, skipped = utils.load_tracks("features", _table(tmp_path, rows))
    assert len(tracks) == 3 and np.isfinite(utils.feature_table_matrix(tracks)[0]).all()
    assert skipped["reason"].tolist() == ["missing, infinite or non-numeric feature value(s): f0='inf'",
                                          "missing, infinite or non-numeric feature value(s): f1='-Infinity'",
                                          "missing, infinite or non-numeric feature value(s): f2='1e400'"]


def test_8_duplicate_feature_rows_are_reported_and_the_first_kept(tmp_path):
    rows = _feature_rows()
    rows.append(dict(rows[2]))
    rows.append({**rows[3], "f0": 9.0})
    tracks, skipped = utils.load_tracks("features", _table(tmp_path, rows))
    assert tracks["track_id"].is_unique and len(tracks) == 6
    assert skipped["reason"].tolist() == ["duplicate filename 'rock.00002' (line 8): line 4 is used, this one ignored",
                                          "duplicate filename 'pop.00003' (line 9): line 5 is used, this one ignored"]


def test_9_identical_rows_give_no_map_and_say_why(capsys):
    assert utils.embed_2d(np.ones((12, 5)), "tsne") is None
    assert "No tsne map: 12 vector(s), all identical" in capsys.readouterr().out
    assert utils.plot_embeddings({"VAE": None}, {"genre": np.zeros(12)}) is None
    assert utils.save_figure(None, "x", "unused") is None


def test_10_too_few_tracks_for_the_settings_is_one_message_before_training():
    tracks = pd.DataFrame({"genre": list("aabbcc"), "language": [None] * 6})
    with pytest.raises(ValueError, match=r"^6 tracks are too few for k = 10 clusters .*: add tracks, or lower N_CLUSTERS$"):
        utils.number_of_clusters(tracks, 10)
    with pytest.raises(ValueError, match=r"^3 tracks are too few for k = 3 clusters"):
        utils.number_of_clusters(tracks[:3].assign(genre=list("abc")))
    assert utils.number_of_clusters(tracks) == 3


def test_11_one_genre_only_runs_with_label_scores_not_available(capsys):
    tracks = pd.DataFrame({"genre": ["rock"] * 18, "language": ["en", "bn"] * 9})
    assert utils.number_of_clusters(tracks) == 3                  # sqrt(18 / 2): no labels used
    assert "1 genre label(s) known: k = 3" in capsys.readouterr().out
    assert set(utils.known_labels(tracks)) == {"language"}        # one genre cannot be scored
    assert utils.plot_scores(pd.DataFrame({"method": ["A"], "seed": [0]}), []) is None


def test_12_no_usable_vectors_give_dbscan_all_noise_not_a_crash():
    Z = np.full((10, 4), np.nan)
    eps, curve, table = utils.choose_dbscan_eps(Z, min_samples=5)
    assert np.isnan(eps) and table["chosen"].tolist() == [True] and not table["admissible"].any()
    assert (utils.cluster(np.zeros((10, 4)), "dbscan", eps=eps, min_samples=5) == -1).all()


def test_13_a_second_run_leaves_no_stale_file_of_its_kind(tmp_path):
    results = tmp_path / "results"
    (results / "figures").mkdir(parents=True)
    (results / "skipped_files.csv").write_text("track_id,path,reason\nold,x,y\n")
    (results / "figures" / "old_plot.png").write_bytes(b"png")
    (results / "notes.txt").write_text("the user's own file")
    utils.setup_notebook(results, "cpu")
    utils.save_tables(results, metrics=pd.DataFrame({"a": [1]}), skipped_files=pd.DataFrame())
    assert sorted(p.name for p in results.rglob("*") if p.is_file()) == ["metrics.csv", "notes.txt"]


def test_14_a_damaged_cache_entry_is_reported_and_recomputed(tmp_path, capsys):
    from data import caching

    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(3)}

    caching.cached("stage", {"a": 1}, "fp", compute, tmp_path, verbose=False)
    path = caching.cache_path("stage", {"a": 1}, "fp", tmp_path)
    for damage in (path.read_bytes()[:40], b""):
        path.write_bytes(damage)
        assert caching.cached("stage", {"a": 1}, "fp", compute, tmp_path, verbose=False)["x"].tolist() == [0, 1, 2]
        assert f"WARNING: cache entry {path} is damaged (" in capsys.readouterr().out
    assert len(calls) == 3


def test_15_a_cache_entry_of_the_wrong_shape_is_not_trusted(tmp_path, capsys):
    root = _folder(tmp_path / "data", {"rock/a.wav": 4, "rock/b.wav": 4, "pop/c.wav": 4})
    tracks, _ = utils.load_tracks("folder", root, verbose=False)
    cache = tmp_path / "cache"
    X, _ = utils.extract_mfcc_stats(tracks, n_jobs=1, cache_dir=cache, verbose=False)
    (entry,) = cache.rglob("mfcc-*.npz")
    np.savez(entry, mfcc=X[:2])                                   # another run's features: two rows, not three
    again, _ = utils.extract_mfcc_stats(tracks, n_jobs=1, cache_dir=cache, verbose=False)
    np.testing.assert_array_equal(again, X)
    assert "is damaged ('mfcc' holds 2 rows for 3 tracks); computing it again" in capsys.readouterr().out


def test_16_training_on_non_finite_data_is_a_clear_error():
    X = np.ones((10, 4), np.float32)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="the model's input X holds 1 NaN or infinite values"):
        utils.fit_model(utils.VAE, X, 0, latent_dim=2, hidden_dim=8, epochs=2, cache_dir=None, verbose=False)


def test_17_a_truncated_whisper_checkpoint_is_converted_again(tmp_path, capsys):
    import offline_models

    offline_models.load_whisper("tiny.en", cache_dir=tmp_path)
    (checkpoint,) = tmp_path.glob("whisper-tiny.en-*.pt")
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    model = offline_models.load_whisper("tiny.en", cache_dir=tmp_path)
    assert model.dims.n_audio_layer > 0 and checkpoint.stat().st_size > 1_000_000
    assert f"WARNING: converted Whisper checkpoint {checkpoint} is damaged" in capsys.readouterr().out


def test_semicolon_and_tab_separated_metadata_are_read_and_said(tmp_path, capsys):
    for sep, said in ((";", "';'"), ("\t", "tabs")):
        root = _folder(tmp_path / said, {"rock/a.wav": 4}, f"filename{sep}language\na.wav{sep}bn\n")
        tracks, _ = utils.load_tracks("folder", root)
        assert tracks.loc[0, "language"] == "bn"
        assert f"metadata.csv is separated by {said}, not commas; read it so." in capsys.readouterr().out


def test_metadata_genre_wins_over_the_folder_and_says_where_they_differ(tmp_path, capsys):
    root = _folder(tmp_path, {"rock/a.wav": 4, "rock/b.wav": 4}, "filename,genre\na.wav,jazz\nb.wav,rock\n")
    tracks, _ = utils.load_tracks("folder", root)
    assert tracks.set_index("track_id")["genre"].to_dict() == {"a": "jazz", "b": "rock"}
    assert ("metadata.csv's genre differs from the folder for 1 file(s); metadata.csv wins: a.wav: folder 'rock', "
            "metadata 'jazz'") in capsys.readouterr().out


def test_a_nul_byte_in_a_lyrics_cell_names_its_line(tmp_path, capsys):
    root = _folder(tmp_path, {"rock/a.wav": 4, "rock/b.wav": 4})
    (root / "metadata.csv").write_bytes(b"filename,lyrics\na.wav,la la\nb.wav,do\x00 re\n")
    tracks, _ = utils.load_tracks("folder", root)
    assert tracks.set_index("track_id").loc["b", "lyrics"] == "do re"
    assert "metadata.csv: NUL byte(s) on line(s) [3] removed" in capsys.readouterr().out


def test_genre_labels_are_compared_case_insensitively_and_said(tmp_path, capsys):
    root = _folder(tmp_path, {"Rock/a.wav": 4, "rock/b.wav": 4})
    tracks, _ = utils.load_tracks("folder", root)
    assert set(tracks["genre"]) == {"rock"}
    assert "genre labels compared case-insensitively: 'Rock' -> 'rock'" in capsys.readouterr().out
