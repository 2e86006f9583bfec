"""Real music: Whisper's gate, tracks without lyrics, short clips, the real-data runs and their README block."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import utils
from lyrics import gate_transcripts, share_of_words_in_lyrics, word_error_rate
from data import caching, features

sys.path.insert(0, str(caching.PROJECT_ROOT / "scripts"))
import provenance  # noqa: E402
import run_real  # noqa: E402
import update_readme  # noqa: E402

SHARED = caching.PROJECT_ROOT.parent / "shared" / "data"


def test_gate_rejects_hallucinations_and_keeps_singing():
    raw = pd.DataFrame({
        "raw_text": ["I", "I'm going to go to the bathroom.", "Oh", "la la la la la la la la la la",
                     "we sing about the river and the night and the love we had " * 2, "", "You and me tonight"],
        "no_speech_prob": [0.56, 0.44, 0.52, 0.1, 0.1, 0.9, 0.2],
        "avg_logprob": [-2.57, -1.77, -1.52, -0.3, -0.6, -1.5, -0.5],
        "compression_ratio": [0.1, 0.9, 0.2, 3.5, 1.3, 0.0, 1.0],
        "seconds_audio": [18.0, 18.0, 18.0, 30.0, 30.0, 30.0, 15.0]})
    gated = gate_transcripts(raw)
    assert list(gated["status"]) == ["low_confidence", "low_confidence", "too_few_words", "repetitive", "speech",
                                     "no_speech", "speech"]
    assert list(gated["text"] != "") == [False, False, False, False, True, False, True]
    assert (gated["raw_text"] == raw["raw_text"]).all()                 # what Whisper said is kept
    loose = gate_transcripts(raw, min_logprob=-np.inf, min_words_per_minute=0)
    assert loose["status"].eq("speech").sum() == 5                     # Whisper's own rules pass the one-word ones


def test_share_of_words_in_lyrics_fits_an_excerpt():
    lyrics = "Verse one about the sea\nChorus: we sing, we sing!\nVerse two about the land"
    assert share_of_words_in_lyrics(lyrics, "We sing we sing") == 1.0
    assert share_of_words_in_lyrics(lyrics, "we dance") == 0.5
    assert np.isnan(share_of_words_in_lyrics(lyrics, ""))
    assert word_error_rate(lyrics, "we sing we sing") > 0.5       # WER counts the unheard verses


def test_tracks_without_text_are_in_no_cluster_and_placed_by_audio_in_a_hybrid():
    rng = np.random.default_rng(0)
    text = rng.normal(size=(40, 8)).astype(np.float32)
    no_text = np.zeros(40, bool)
    no_text[:15] = True
    text[no_text] = 0.0                                                # what embed_text gives an empty text
    lyrics_only, filled = utils.lyrics_blocks(text, no_text)
    assert np.isnan(lyrics_only[no_text]).all() and np.isfinite(lyrics_only[~no_text]).all()
    np.testing.assert_allclose(filled[no_text], np.tile(text[~no_text].mean(axis=0), (15, 1)), rtol=1e-6)
    for method, kwargs in [("kmeans", {}), ("agglomerative", {}), ("gmm", {})]:
        labels = utils.cluster(lyrics_only, method, 3, 0, **kwargs)
        assert (labels[no_text] == -1).all() and set(labels[~no_text]) == {0, 1, 2}
    eps, _, candidates = utils.choose_dbscan_eps(lyrics_only, 3)
    assert eps > 0 and len(candidates)
    row = utils.evaluate(lyrics_only, utils.cluster(lyrics_only, "kmeans", 3, 0), {"genre": np.arange(40) % 2})
    assert row["noise_share"] == pytest.approx(15 / 40) and np.isfinite(row["silhouette"])
    xy = utils.embed_2d(lyrics_only, "tsne", 0)
    assert np.isnan(xy[no_text]).all() and np.isfinite(xy[~no_text]).all()
    audio = rng.normal(size=(40, 4))
    hybrid = utils.combine_blocks({"audio": audio, "lyrics": filled})
    d = np.linalg.norm(hybrid[0] - hybrid[1])                          # two tracks without text differ by audio only
    audio_part = utils.combine_blocks({"audio": audio})
    assert d == pytest.approx(np.linalg.norm(audio_part[0] - audio_part[1]), rel=1e-5)


def test_short_clips_are_said_so(tmp_path):
    for name, seconds in [("short.wav", 10.0), ("long.wav", 30.0)]:
        sf.write(tmp_path / name, np.zeros(int(seconds * 22050), np.float32) + 0.01, 22050)
    tracks = pd.DataFrame({"track_id": ["short", "long"], "path": [str(tmp_path / "short.wav"),
                                                                   str(tmp_path / "long.wav")]})
    note = utils.describe_short_clips(tracks, n_patches=8, patch_frames=64, hop_length=1024)
    assert note.startswith("NOTE: 1 of 2 tracks last less than the 23.8 s") and "shortest 10.0 s" in note
    assert utils.describe_short_clips(tracks.iloc[1:], 8, 64, 1024) is None


def test_segments_are_evenly_spaced_windows_described_like_tracks(tmp_path):
    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import real_segment_vae

    rng = np.random.default_rng(0)
    y = (0.1 * rng.standard_normal(int(10.0 * 22050))).astype(np.float32)
    sf.write(tmp_path / "clip.wav", y, 22050, subtype="FLOAT")
    segments = real_segment_vae.segment_mfcc_stats(str(tmp_path / "clip.wav"), n_segments=4, seconds=3.0)
    assert segments.shape == (4, len(features.mfcc_feature_names()))
    length = 3 * 22050
    for row, start in zip(segments, [0, 7 * 22050 // 3, 14 * 22050 // 3, len(y) - length]):   # first to last window
        np.testing.assert_allclose(row, features.mfcc_stats(y[start:start + length]), rtol=1e-4, atol=1e-4)
    sf.write(tmp_path / "short.wav", y[:22050], 22050)
    with pytest.raises(ValueError, match="shorter than one 3-s segment"):
        real_segment_vae.segment_mfcc_stats(str(tmp_path / "short.wav"))


def test_stale_real_results_name_the_changed_files(tmp_path):
    for name in provenance.CODE_FILES + ["scripts/run_real.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(caching.PROJECT_ROOT / name, tmp_path / name)
    (tmp_path / "results" / "real" / "some_set").mkdir(parents=True)
    record = {"files": provenance.real_run_hashes(tmp_path)}
    (tmp_path / "results" / "real" / "some_set" / "run.json").write_text(json.dumps(record))
    assert provenance.stale_real_sets(tmp_path) == {}
    (tmp_path / "scripts" / "main_job.py").write_text("# the demo's job only\n")
    assert provenance.stale_real_sets(tmp_path) == {}                   # not a real-data input
    (tmp_path / "utils.py").write_text((tmp_path / "utils.py").read_text() + "\n# changed\n")
    assert provenance.stale_real_sets(tmp_path) == {"some_set": ["utils.py"]}


def test_real_block_is_generated_from_results(tmp_path):
    (tmp_path / "set_a" / "easy").mkdir(parents=True)
    (tmp_path / "set_a" / "run.json").write_text(json.dumps(
        {"set": "set_a", "about": "some real songs", "source": "somewhere", "tracks": 12, "seconds": {"easy": 90.0}}))
    pd.DataFrame({"method": ["VAE + K-Means"] * 2 + ["PCA + K-Means"] * 2, "seed": [0, 1, 0, 1],
                  "nmi_genre": [0.4, 0.5, 0.3, 0.3], "ari_genre": [0.1] * 4, "purity_genre": [0.5] * 4,
                  "silhouette": [0.2] * 4}).to_csv(tmp_path / "set_a" / "easy" / "metrics.csv", index=False)
    pd.DataFrame([{"set": "set_a", "task": "easy", "target": "VAE + K-Means", "other": "PCA + K-Means",
                   "metric": "nmi_genre", "n_seeds": 2, "target_mean": 0.45, "other_mean": 0.3,
                   "mean_difference": 0.15, "ci_low": -0.5, "ci_high": 0.8, "verdict": "level"}]).to_csv(
        tmp_path / "verdicts.csv", index=False)
    pd.DataFrame([{"target": "VAE on segments + K-Means", "other": "PCA on segments + K-Means", "metric": "nmi_genre",
                   "n_seeds": 2, "target_mean": 0.2, "other_mean": 0.25, "mean_difference": -0.05, "ci_low": -0.07,
                   "ci_high": -0.03, "verdict": "lower", "set": "set_a", "tracks": 12, "segments": 4,
                   "segment_seconds": 2.5}]).to_csv(tmp_path / "segment_directions.csv", index=False)
    block = update_readme.real_markdown(tmp_path)
    assert "statistics of 4 segments of 2.5 s per track" in block
    assert ("| set_a | 12 | VAE on segments + K-Means | 0.200 | PCA on segments + K-Means | 0.250 | "
            "-0.050 [-0.070, -0.030] | 2 | **lower** |") in block
    assert "#### `set_a`: some real songs" in block and "12 tracks" in block and "easy 1.5 min" in block
    assert "| easy | VAE + K-Means | 0.450 | 0.300 | +0.150 [-0.500, +0.800] | 2 | **level** |" in block
    assert "| VAE + K-Means | 0.450 ± 0.071 |" in block
    assert update_readme.real_markdown(tmp_path / "none").startswith("_No real-data results")


def test_readme_real_block_matches_results():
    readme = update_readme.REAL_README.read_text(encoding="utf-8")
    assert update_readme.render(readme, update_readme.real_markdown(), update_readme.REAL_START,
                                update_readme.REAL_END) == readme, "run `python scripts/update_readme.py`"


def test_real_runs_skip_absent_data(tmp_path, capsys):
    assert run_real.main(["--data", str(tmp_path / "nothing"), "--results", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "gtzan_clips: skipped" in out and "nothing ran" in out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.csv"))


@pytest.fixture(scope="module")
def small_real_data(tmp_path_factory) -> Path:
    """Return a data root with a few real songs (4 English, 4 German) and 8 GTZAN clips (2 genres)."""
    if not (SHARED / "songs_en_de").is_dir() or not (SHARED / "gtzan" / "audio_10x10").is_dir():
        pytest.skip(f"real sample data not found at {SHARED} (only present in the project's CI)")
    root = tmp_path_factory.mktemp("real")
    meta = pd.read_csv(SHARED / "songs_en_de" / "metadata.csv")
    meta = meta[meta.genre.isin(["pop", "rock"])].groupby(["language", "genre"]).head(2)
    for row in meta.itertuples():
        src = next((SHARED / "songs_en_de" / "audio").rglob(row.filename))
        dst = root / "songs_en_de" / "audio" / row.genre / row.filename
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    meta.to_csv(root / "songs_en_de" / "metadata.csv", index=False)
    for genre in ("classical", "rock"):
        for src in sorted((SHARED / "gtzan" / "audio_10x10" / genre).glob("*.wav"))[:4]:
            (root / "gtzan" / "audio_10x10" / genre).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, root / "gtzan" / "audio_10x10" / genre / src.name)
    return root


def test_real_run_smoke_on_a_few_real_songs(small_real_data, tmp_path):
    out = tmp_path / "real"
    assert run_real.main(["--data", str(small_real_data), "--results", str(out), "--quick",
                          "--only", "songs_en_de"]) == 0
    record = json.loads((out / "songs_en_de" / "run.json").read_text())
    assert record["tracks"] == 8 and set(record["seconds"]) == {"easy", "medium", "hard"}
    assert record["code_hash"] == provenance.combined_hash(provenance.real_run_hashes())
    medium = pd.read_csv(out / "songs_en_de" / "medium" / "metrics.csv")
    assert {"Whisper encoder (pretrained)", "lyrics (Whisper)", "hybrid (conv VAE + Whisper)",
            "lyrics", "hybrid (conv VAE + lyrics)"} <= set(medium["representation"])
    quality = pd.read_csv(out / "songs_en_de" / "medium" / "lyrics_quality.csv")
    assert set(quality["language"]) == {"de", "en"} and quality["tracks"].eq(4).all()
    assert {"words_in_lyrics", "share_speech", "share_too_few_words"} <= set(quality.columns)
    language = pd.read_csv(out / "songs_en_de" / "medium" / "language_clusters.csv")
    assert language["k"].eq(2).all() and language["nmi_language"].between(0, 1).all()
    verdicts = pd.read_csv(out / "verdicts.csv")
    assert set(verdicts["task"]) == {"easy", "medium", "hard"} and verdicts["verdict"].isin(
        ["higher", "lower", "level"]).all()
    hard = pd.read_csv(out / "songs_en_de" / "hard" / "metrics.csv")
    assert "Whisper encoder (pretrained)" in set(hard["method"])
    gate = pd.read_csv(out / "whisper_gate.csv")
    assert set(gate["data"]) == {"GTZAN clips", "songs en/de"}


def test_medium_on_real_gtzan_clips_without_lyrics(small_real_data, tmp_path):
    """GTZAN: no lyrics, Whisper hears little; short clips; DBSCAN and the lyrics rows must cope."""
    out = tmp_path / "real"
    assert run_real.main(["--data", str(small_real_data), "--results", str(out), "--quick",
                          "--only", "gtzan_clips", "--tasks", "medium"]) == 0
    medium = pd.read_csv(out / "gtzan_clips" / "medium" / "metrics.csv")
    assert "Whisper encoder (pretrained)" in set(medium["representation"])
    assert medium[medium.algorithm == "dbscan"]["n_clusters"].notna().all()
    executed = (out / "_notebooks" / "gtzan_clips" / "02_medium.ipynb").read_text()
    assert "tracks last less than the" in executed                     # GTZAN prefixes of 15-20 s


def test_language_confounded_with_genre_is_said():
    pooled = pd.DataFrame({"genre": ["rock", "rock", "baul", "baul"], "language": ["en", "en", "bn", "bn"]})
    note = utils.describe_language_confound(pooled)
    assert note.startswith("NOTE: every genre in this data holds a single language (2 genres, 2 languages)")
    mixed = pooled.assign(language=["en", "bn", "bn", "bn"])
    assert utils.describe_language_confound(mixed) is None
    assert utils.describe_language_confound(pooled.assign(language=None)) is None


def test_quick_runs_never_write_to_the_committed_results_and_params_reach_every_notebook(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(run_real, "run_set", lambda name, spec, data, quick, results, tasks=None, extra=None:
                        calls.append((name, results, extra)))
    assert run_real.main(["--data", str(tmp_path), "--quick", "--param", "LYRICS_SOURCE", "whisper",
                          "--param", "SEEDS", "[0]"]) == 0
    assert calls and {results for _, results, _ in calls} == {run_real.NOTEBOOKS_OUT / "quick"}
    assert all(extra == {"LYRICS_SOURCE": "whisper", "SEEDS": [0]} for _, _, extra in calls)
    calls.clear()
    run_real.main(["--data", str(tmp_path)])
    assert {results for _, results, _ in calls} == {run_real.RESULTS}   # a full run writes the committed results


def test_bangla_feature_tables_read_capitalised_genres_and_eng_bng(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [{"filename": f"{g}.{i:05d}.wav", "length": 661500, "a": rng.normal(), "b": rng.normal(), "label": g,
             "language": lang} for i, (g, lang) in enumerate([("rock", "eng"), ("Rock", "bng"), ("Folk", "bng"),
                                                              ("pop", "eng"), ("Pop", "bng"), ("blues", "eng")])]
    pd.DataFrame(rows).to_csv(tmp_path / "table.csv", index=False)
    tracks, _ = utils.load_tracks("features", tmp_path / "table.csv")
    out = capsys.readouterr().out
    assert tracks["genre"].tolist() == ["rock", "rock", "folk", "pop", "pop", "blues"]
    assert tracks["language"].tolist() == ["en", "bn", "bn", "en", "bn", "en"]
    assert "genre labels compared case-insensitively: 'Folk' -> 'folk', 'Pop' -> 'pop', 'Rock' -> 'rock'" in out
    assert "normalized: 'bng' -> 'bn', 'eng' -> 'en'" in out
    assert utils.shared_genres(tracks) == ["pop", "rock"]
    assert "every genre in this data holds a single language" not in (utils.describe_language_confound(tracks) or "")


def test_real_lyrics_study_scores_each_task_against_chance(tmp_path, monkeypatch):
    sys.path.insert(0, str(caching.PROJECT_ROOT / "benchmarks"))
    import real_lyrics_text

    monkeypatch.setattr(real_lyrics_text, "REPRESENTATIONS", {"char n-gram TF-IDF": "tfidf-char"})
    (tmp_path / "bangla_lyrics").mkdir()
    (tmp_path / "songs_en_de").mkdir()
    bangla = [("আমার সোনার বাংলা আমি তোমায় ভালোবাসি", "দেশ"), ("চিরদিন তোমার আকাশ তোমার বাতাস", "দেশ"),
              ("মন মাঝি তোর বৈঠা নে রে", "বাউল"), ("খাঁচার ভিতর অচিন পাখি", "বাউল")] * 3
    pd.DataFrame({"title": "t", "lyrics": [b for b, _ in bangla], "artist": "a", "album": "b",
                  "category": [c for _, c in bangla]}).to_csv(tmp_path / "bangla_lyrics" / "bangla_lyrics_dev.csv")
    english = [("love me tender love me sweet", "pop"), ("highway to hell on the road", "rock")] * 4
    pd.DataFrame({"filename": [f"{i}.mp3" for i in range(8)], "genre": [g for _, g in english], "language": "en",
                  "lyrics": [t for t, _ in english]}).to_csv(tmp_path / "songs_en_de" / "metadata.csv", index=False)
    out = tmp_path / "out" / "lyrics_text.csv"
    assert real_lyrics_text.main(["--data", str(tmp_path), "--out", str(out)]) == 0
    table = pd.read_csv(out).set_index("task")
    assert list(table.index) == ["Bangla lyrics by category", "Bangla + English lyrics by language",
                                 "English lyrics by genre"]
    assert table["k"].tolist() == [2, 2, 2] and table["tracks"].tolist() == [12, 20, 8]
    assert table.loc["Bangla + English lyrics by language", "nmi_mean"] == pytest.approx(1.0)   # two scripts
    assert (table["nmi_shuffled_mean"] < table["nmi_mean"]).all()
    assert (out.parent / "figures" / "lyrics_text.png").stat().st_size > 10_000
    block = update_readme.real_markdown(out.parent)
    assert "| Bangla + English lyrics by language | char n-gram TF-IDF | 2 | 20 | 1.000 ± 0.000 |" in block


def test_easy_language_checks_are_shown_for_a_real_set(tmp_path):
    easy = tmp_path / "easy"
    easy.mkdir()
    pd.DataFrame({"method": ["PCA + K-Means"] * 2, "seed": [0, 1], "k": 2, "nmi_language": [0.8, 0.6],
                  "ari_language": 0.5, "acc_language": 0.9}).to_csv(easy / "language_clusters.csv", index=False)
    pd.DataFrame({"en": [0.30], "bn": [0.20]}, index=pd.Index(["PCA + K-Means"])).to_csv(easy / "genre_within_language.csv")
    pd.DataFrame({"method": ["PCA + K-Means"] * 2, "seed": [0, 1], "n_clusters": 4, "nmi_genre": [0.1, 0.2],
                  "nmi_language": [0.5, 0.7]}).to_csv(easy / "shared_genres.csv", index=False)
    text = "\n".join(update_readme._language_markdown(easy))
    assert "(K-Means, k = 2 languages), language NMI: PCA + K-Means 0.700 ± 0.141." in text
    assert "PCA + K-Means: en 0.300, bn 0.200." in text
    assert "k = 4 on those tracks" in text and "PCA + K-Means 0.150 / 0.600." in text
