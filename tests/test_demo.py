"""The demo builder: determinism, metadata, language independent of genre."""
from __future__ import annotations

import hashlib
import json

import pandas as pd
import soundfile as sf

import make_demo


def _hashes(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.wav"))}


def test_tiny_is_byte_identical_with_other_worker_count(tiny_demo, tmp_path):
    again = make_demo.build("tiny", tmp_path, workers=1, quiet=True)
    first, second = _hashes(tiny_demo), _hashes(again)
    assert len(first) == 4 * 6
    assert first == second
    pd.testing.assert_frame_equal(pd.read_csv(tiny_demo / "metadata.csv"), pd.read_csv(again / "metadata.csv"))


def test_metadata_records_labels_lyrics_and_choices(tiny_demo):
    meta = pd.read_csv(tiny_demo / "metadata.csv", keep_default_na=False)
    for col in ["track_id", "path", "genre", "language", "lyrics", "seed", "soundfont", "tempo_bpm", "key",
                "drum_style", "program_comp", "snr_db", "highpass_hz", "lowpass_hz", "gain_db", "vocal_db"]:
        assert col in meta.columns, col
    assert set(meta["genre"]) == set(make_demo.PRESETS["tiny"]["genres"])
    vocabulary = make_demo.load_lyrics()
    for row in meta.itertuples():
        if row.language == "instrumental":
            assert row.lyrics == ""
        else:
            sung = row.lyrics.split(" / ")
            written = make_demo.write_lines(row.seed, row.genre, row.language, vocabulary)
            assert sung and sung == written[:len(sung)], (row.track_id, sung)      # the track's own lines, in order
            recipe = json.loads(row.vocal_lines)                 # per-line pitch, speed, contour, start
            assert len(recipe) == len(sung) and {"start_s", "pitch", "speed", "contour"} <= set(recipe[0])
            assert [r["start_s"] for r in recipe] == sorted(r["start_s"] for r in recipe)


def test_language_is_independent_of_genre_and_length(tiny_demo):
    meta = pd.read_csv(tiny_demo / "metadata.csv")
    counts = pd.crosstab(meta["genre"], meta["language"])
    assert (counts.nunique() == 1).all(), counts      # the same language counts in every genre
    durations = {sf.info(str(tiny_demo / p)).duration for p in meta["path"]}
    assert durations == {make_demo.PRESETS["tiny"]["duration"]}
    info = sf.info(str(tiny_demo / meta["path"][0]))
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")


def test_lyric_vocabulary_has_every_genre_theme_kind_and_language():
    vocabulary = make_demo.load_lyrics()
    counts = vocabulary.groupby(["theme", "language", "kind"]).size().unstack(["language", "kind"])
    assert set(counts.index) == set(make_demo.GENRES_ALL) | {"shared"}
    assert (counts >= 3).all().all()
    bangla = vocabulary.query("language == 'bn'")["word"]
    assert bangla.str.contains("[\u0980-\u09ff]").all()   # written in Bengali script
    themes = vocabulary.query("theme != 'shared'")
    shared_words = themes.groupby("word")["theme"].nunique()
    assert (shared_words > 1).sum() >= 10                 # theme vocabularies overlap between genres


def test_every_track_sings_its_own_lines_and_genre_colors_them_partly():
    vocabulary = make_demo.load_lyrics()
    tracks = [(make_demo.track_seed("full", g, i), g) for g in make_demo.GENRES_ALL for i in range(8)]
    texts = [" / ".join(make_demo.write_lines(seed, g, "en", vocabulary)) for seed, g in tracks]
    assert len(set(texts)) == len(texts)                  # no two tracks share their lyrics
    theme_words = {g: set(vocabulary.query("language == 'en' and theme == @g")["word"]) for g in make_demo.GENRES_ALL}
    shared = set(vocabulary.query("language == 'en' and theme == 'shared'")["word"])
    for strength, low, high in [(0.0, 0.0, 0.05), (make_demo.LYRICS_GENRE_STRENGTH, 0.1, 0.5), (1.0, 0.9, 1.0)]:
        own = total = 0
        for seed, g in tracks:
            for line in make_demo.write_lines(seed, g, "en", vocabulary, strength):
                for w in (theme_words[g] | shared):
                    if f" {w} " in f" {line.replace(',', ' ')} ":
                        total += 1
                        own += w in theme_words[g] and w not in shared
        assert low <= own / total <= high, (strength, own / total)


def test_unknown_preset_is_a_clear_error(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="unknown preset"):
        make_demo.build("huge", tmp_path)


def test_build_after_torch_threads_started_does_not_hang(tmp_path):
    """Worker processes are spawned, not forked, so a parent running torch threads is safe."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import torch; torch.ones(400, 400) @ torch.ones(400, 400); "
            "import make_demo; make_demo.build('tiny', sys.argv[2], workers=2, quiet=True)")
    subprocess.run([sys.executable, "-c", code, str(make_demo.HERE), str(tmp_path)], check=True, timeout=300)
    assert len(list((tmp_path / "tiny").rglob("*.wav"))) == 24


def test_a_demo_built_by_another_recipe_is_rebuilt(tmp_path, capsys):
    first = make_demo.build("tiny", tmp_path, workers=2, quiet=True)
    stamp = (first / "metadata.csv").stat().st_mtime_ns
    assert (first / "recipe.sha1").read_text().strip() == make_demo.recipe_fingerprint("tiny")
    make_demo.build("tiny", tmp_path, workers=2)                       # same recipe: reused as it is
    assert (first / "metadata.csv").stat().st_mtime_ns == stamp and "up to date" in capsys.readouterr().out
    before = pd.read_csv(first / "metadata.csv", keep_default_na=False)["lyrics"]
    make_demo.build("tiny", tmp_path, workers=2, strength=1.0)        # another lyrics setting: rebuilt
    assert "built by another recipe" in capsys.readouterr().out
    after = pd.read_csv(first / "metadata.csv", keep_default_na=False)["lyrics"]
    assert not before.equals(after)
    (first / "recipe.sha1").unlink()                                   # a demo from before recipes: rebuilt
    make_demo.build("tiny", tmp_path, workers=2, quiet=True)
    assert (first / "recipe.sha1").exists()
