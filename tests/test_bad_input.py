"""Bad input gets a clear message and a row in the skipped table; it never crashes the run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import utils

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
    assert "metadata.csv but audio file not found" in reasons["gone"]
    assert "not UTF-8" in out and "Latin-1" in out                 # encoding fallback is announced
    assert "extra columns kept" in out and "uploader" in tracks.columns
    assert tracks.set_index("track_id").loc["good", "lyrics"] == "café au lait"
    assert "6 skipped" in out and "headerless" in out              # the summary lists them


def test_stereo_44k_is_resampled_to_mono(messy_folder):
    tracks, _ = utils.load_tracks("folder", messy_folder, verbose=False)
    y = utils.load_audio(tracks.set_index("track_id").loc["stereo44k", "path"])
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
        utils.compute_logmel_patches(utils.load_audio(str(tmp_path / "a.wav")))


def test_gtzan_corrupt_file_like_jazz_00054(tmp_path):
    g = tmp_path / "genres" / "jazz"
    g.mkdir(parents=True)
    sf.write(g / "jazz.00053.wav", _tone(4), SR)
    (g / "jazz.00054.wav").write_bytes(b"\x00" * 2000)     # GTZAN's own unreadable file looks like this
    tracks, skipped = utils.load_tracks("gtzan", tmp_path, verbose=False)
    assert tracks["track_id"].tolist() == ["jazz.00053"]
    assert skipped["track_id"].tolist() == ["jazz.00054"] and "cannot decode" in skipped["reason"][0]
