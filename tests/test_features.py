"""Audio features: shapes, finiteness, caching hit and miss, worker-count invariance."""
from __future__ import annotations

import numpy as np
import pytest

import utils
from data import loading


@pytest.fixture(scope="module")
def tracks(tiny_demo):
    return utils.load_tracks("demo", tiny_demo, verbose=False)[0].head(6)


def test_mfcc_stats_shape_and_names(tracks, tmp_path):
    X, names = utils.extract_mfcc_stats(tracks, cache_dir=tmp_path, verbose=False)
    assert X.shape == (6, 6 * 40 + 50) == (6, len(names))
    assert len(set(names)) == len(names)
    assert np.isfinite(X).all() and X.dtype == np.float32
    assert X[:, names.index("mfcc1_std")].min() > 0


def test_logmel_patch_shape(tracks, tmp_path):
    P = utils.extract_logmel_patches(tracks, n_mels=32, patch_frames=64, n_patches=3, cache_dir=tmp_path,
                                     verbose=False)
    assert P.shape == (6, 3, 32, 64)
    assert np.isfinite(P).all() and -100.0 <= P.min() < P.max() < 60.0


def test_cache_hit_and_miss(tracks, tmp_path, capsys):
    a, _ = utils.extract_mfcc_stats(tracks, n_mfcc=20, cache_dir=tmp_path)
    assert "saved" in capsys.readouterr().out
    b, _ = utils.extract_mfcc_stats(tracks, n_mfcc=20, cache_dir=tmp_path)
    assert "loaded" in capsys.readouterr().out
    np.testing.assert_array_equal(a, b)
    utils.extract_mfcc_stats(tracks.head(3), n_mfcc=20, cache_dir=tmp_path)   # other data: miss
    assert "saved" in capsys.readouterr().out
    assert len(list(tmp_path.rglob("*.npz"))) == 2


def test_worker_count_does_not_change_features(tracks):
    one, _ = utils.extract_mfcc_stats(tracks, n_jobs=1, cache_dir=None, verbose=False)
    two, _ = utils.extract_mfcc_stats(tracks, n_jobs=2, cache_dir=None, verbose=False)
    np.testing.assert_array_equal(one, two)


def test_long_audio_is_cropped_to_its_centre(tmp_path):
    import soundfile as sf

    sr = utils.SR
    y = np.concatenate([np.zeros(sr), np.ones(sr), np.zeros(sr)]).astype(np.float32) * 0.5
    sf.write(tmp_path / "a.wav", y, sr)
    out = loading.load_audio(str(tmp_path / "a.wav"), clip_seconds=1.0)
    assert len(out) == sr and np.allclose(out, 0.5, atol=1e-3)


def test_feature_only_tracks_are_refused_with_a_hint(shared_gtzan):
    tracks, _ = utils.load_tracks("features", shared_gtzan / "features_30_sec.csv", verbose=False)
    with pytest.raises(ValueError, match="feature_table_matrix"):
        utils.extract_mfcc_stats(tracks)
