"""Loaders return the track table (track_id, path, genre, language, lyrics) for every supported layout."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

import utils
from data.loading import TRACK_COLUMNS


def test_demo_loader_reads_metadata(tiny_demo):
    tracks, skipped = utils.load_tracks("demo", tiny_demo, verbose=False)
    assert list(tracks.columns[:5]) == TRACK_COLUMNS
    assert len(tracks) == 24 and skipped.empty
    assert tracks["track_id"].is_unique
    assert set(tracks["language"]) == {"en", "bn", "instrumental"}
    assert (tracks.loc[tracks["language"] == "instrumental", "lyrics"] == "").all()
    assert tracks.loc[tracks["language"] != "instrumental", "lyrics"].str.len().min() > 5


def test_gtzan_loader_on_real_au_clips(shared_gtzan):
    tracks, skipped = utils.load_tracks("gtzan", shared_gtzan / "au", verbose=False)
    assert len(tracks) == 10 and skipped.empty
    assert sorted(tracks["genre"]) == sorted(p.name.split(".")[0] for p in (shared_gtzan / "au").glob("*.au"))
    assert tracks["language"].isna().all() and tracks["lyrics"].isna().all()


@pytest.mark.parametrize("layout", ["genres/{g}/{g}.{n}.au", "Data/genres_original/{g}/{g}.{n}.wav"])
def test_gtzan_loader_both_layouts(shared_gtzan, tmp_path, layout):
    import soundfile as sf

    for src in sorted((shared_gtzan / "au").glob("*.au"))[:3]:
        g, n = src.name.split(".")[:2]
        dst = tmp_path / layout.format(g=g, n=n)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.suffix == ".wav":
            audio, sr = sf.read(src)
            sf.write(dst, audio, sr)
        else:
            shutil.copy(src, dst)
    tracks, skipped = utils.load_tracks("gtzan", tmp_path, verbose=False)
    assert len(tracks) == 3 and skipped.empty
    assert tracks["genre"].notna().all()


def test_feature_table_loader(shared_gtzan):
    tracks, skipped = utils.load_tracks("features", shared_gtzan / "features_30_sec.csv", verbose=False)
    X, names = utils.feature_table_matrix(tracks)
    assert X.shape == (1000, 57) and len(names) == 57
    assert "length" not in names and "mfcc1_mean" in names
    assert tracks["genre"].value_counts().eq(100).all() and skipped.empty


def test_feature_table_missing_label_column(tmp_path):
    (tmp_path / "f.csv").write_text("filename,a,b\nx.wav,1,2\n")
    with pytest.raises(ValueError, match="missing column.*label"):
        utils.load_tracks("features", tmp_path / "f.csv")


def test_folder_loader_with_metadata(tiny_demo, tmp_path):
    src = sorted((tiny_demo / "audio").rglob("*.wav"))[:4]
    for p in src:
        dst = tmp_path / "audio" / p.parent.name / p.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dst)
    pd.DataFrame({"filename": [src[0].name], "language": ["bn"], "lyrics": ["আমার গান"],
                  "mood": ["calm"]}).to_csv(tmp_path / "metadata.csv", index=False)
    tracks, skipped = utils.load_tracks("folder", tmp_path, verbose=False)
    assert len(tracks) == 4 and skipped.empty
    first = tracks.set_index("track_id").loc[src[0].stem]
    assert (first["language"], first["lyrics"], first["mood"]) == ("bn", "আমার গান", "calm")
    assert tracks["genre"].tolist() == [p.parent.name for p in src]   # folder name is the label


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown dataset"):
        utils.load_tracks("spotify")
