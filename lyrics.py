"""Lyrics: Whisper transcripts (with a quality gate) and the Whisper encoder embedding, text
embeddings of the lyrics, and the measures of Whisper's quality against known lyrics. The
offline model files come from ``offline_models.py``."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from data.caching import CACHE_DIR, cached, expect_rows, fingerprint_texts, progress
from data.loading import audio_durations, load_audio


def transcribe(tracks: pd.DataFrame, model: str = "base", language: str | None = None,
               clip_seconds: float = 30.0, gate: dict | None = None, sample_len: int = 160, batch_size: int = 8,
               n_threads: int = 2, device: str | torch.device = "cpu", cache_dir: Path | str | None = CACHE_DIR,
               verbose: bool = True) -> pd.DataFrame:
    """Return one row per track: text, detected language and its probability, no-speech probability, status.

    Whisper decodes the central ``clip_seconds`` (one 30-s window, so nothing is conditioned
    on previous text) greedily at temperature 0, from 16 kHz librosa audio (no ffmpeg),
    ``batch_size`` clips at a time, at most ``sample_len`` tokens each, on ``device`` (fp16 on
    CUDA, fp32 on the CPU; the cache keeps the two apart). The raw output is cached; then
    :func:`gate_transcripts` (thresholds in ``gate``, default ``WHISPER_GATE``) keeps the text
    of windows judged to be speech and says why the others got none in ``status``.
    ``seconds_audio`` is the audio each window held. Torch runs on ``n_threads`` threads (with
    ``OMP_WAIT_POLICY=PASSIVE``, set by this module, so a busy core does not stall it).
    """
    params = dict(model=model, language=language, clip_seconds=clip_seconds, sample_len=sample_len, v=2)
    device = torch.device(device)
    if device.type != "cpu":
        params["device"] = device.type
    pooled = []

    def compute():
        import whisper

        rows = []
        for wmodel, features, n_samples, seconds_start in _whisper_encoder_batches(
                tracks, model, clip_seconds, batch_size, n_threads, device, f"whisper {model}", verbose):
            options = whisper.DecodingOptions(task="transcribe", language=language if wmodel.is_multilingual
                                              else "en", temperature=0.0, fp16=device.type == "cuda",
                                              without_timestamps=True, sample_len=sample_len)
            with torch.no_grad():
                if wmodel.is_multilingual:
                    _, probs = wmodel.detect_language(features)
                else:
                    probs = [{"en": 1.0}] * len(n_samples)
                results = whisper.decode(wmodel, features, options)
            pooled.append(_pool_encoder_output(features, n_samples))
            seconds = (time.perf_counter() - seconds_start) / len(n_samples)
            for result, prob in zip(results, probs):
                rows.append(dict(raw_text=result.text.strip(), language=result.language,
                                 language_prob=float(prob.get(result.language, np.nan)),
                                 no_speech_prob=float(result.no_speech_prob),
                                 avg_logprob=float(result.avg_logprob),
                                 compression_ratio=float(result.compression_ratio), seconds=seconds))
        return {k: np.array([r[k] for r in rows]) for k in rows[0]}

    result = cached("transcripts", params, tracks, compute, cache_dir, verbose,
                    check=expect_rows(len(tracks), "raw_text", "no_speech_prob"))
    if pooled:   # the encoder ran here: keep its embedding, so whisper_audio_embeddings need not run it again
        encoder_params = {k: params[k] for k in ("model", "clip_seconds", "device") if k in params}
        cached("whisper_encoder", encoder_params, tracks, lambda: {"embeddings": np.concatenate(pooled)}, cache_dir,
               verbose)
    table = pd.DataFrame({k: result[k] for k in result})
    table.insert(0, "track_id", tracks["track_id"].to_numpy())
    table["seconds_audio"] = np.minimum(audio_durations(tracks), clip_seconds)
    return gate_transcripts(table, **(gate or {}))


WHISPER_GATE = dict(no_speech_threshold=0.6, logprob_threshold=-1.0, compression_ratio_threshold=2.4,
                    min_logprob=-1.6, min_words_per_minute=5.0)


def gate_transcripts(table: pd.DataFrame, no_speech_threshold: float = WHISPER_GATE["no_speech_threshold"],
                     logprob_threshold: float = WHISPER_GATE["logprob_threshold"],
                     compression_ratio_threshold: float = WHISPER_GATE["compression_ratio_threshold"],
                     min_logprob: float = WHISPER_GATE["min_logprob"],
                     min_words_per_minute: float = WHISPER_GATE["min_words_per_minute"]) -> pd.DataFrame:
    """Return the transcript table with ``status`` and ``text`` decided from Whisper's raw output.

    In this order: ``no_speech`` (Whisper's own rule: no-speech probability above
    ``no_speech_threshold`` and mean token log-probability below ``logprob_threshold``),
    ``empty`` (no words), ``repetitive`` (compression ratio above ``compression_ratio_threshold``: a loop),
    ``low_confidence`` (mean token log-probability below ``min_logprob``), ``too_few_words``
    (fewer than ``min_words_per_minute`` words per minute of audio: on music Whisper invents
    a word or a short phrase, "I", "you", "Oh", where nobody sings); else ``speech``.
    Only ``speech`` keeps its text; ``raw_text`` is always kept. The thresholds are chosen
    without labels of the data being clustered (README: measured on GTZAN clips without
    singing and on songs with known lyrics); the cache holds the raw output, so a new gate
    needs no new transcription.
    """
    table = table.copy()
    words = table["raw_text"].fillna("").astype(str).str.split().str.len()
    minutes = table["seconds_audio"].fillna(30.0).clip(lower=1.0) / 60 if "seconds_audio" in table else 0.5
    table["words_per_minute"] = words / minutes
    status = np.select(
        [(table["no_speech_prob"] > no_speech_threshold) & (table["avg_logprob"] < logprob_threshold),
         words == 0,
         table["compression_ratio"] > compression_ratio_threshold,
         table["avg_logprob"] < min_logprob,
         table["words_per_minute"] < min_words_per_minute],
        ["no_speech", "empty", "repetitive", "low_confidence", "too_few_words"], "speech")
    table["status"] = status
    table["text"] = np.where(status == "speech", table["raw_text"].fillna("").astype(str), "")
    return table


def _whisper_mels(paths: list[str], wmodel, clip_seconds: float, device) -> tuple[torch.Tensor, list[int]]:
    """Return Whisper's log-mel input for the central ``clip_seconds`` of each file (padded to
    30 s) and the number of audio samples each holds before the padding."""
    import whisper

    audio = [load_audio(p, sr=whisper.audio.SAMPLE_RATE, clip_seconds=clip_seconds) for p in paths]
    mels = torch.stack([whisper.log_mel_spectrogram(whisper.pad_or_trim(a), wmodel.dims.n_mels) for a in audio])
    return mels.to(device), [min(len(a), whisper.audio.N_SAMPLES) for a in audio]


def _whisper_encoder_batches(tracks: pd.DataFrame, model: str, clip_seconds: float, batch_size: int, n_threads: int,
                             device: torch.device, desc: str, verbose: bool):
    """Yield ``(wmodel, features, n_samples, start)`` per batch of ``batch_size`` tracks: the loaded
    Whisper model, its encoder output for the batch (batch, 1500 frames, width), the audio
    samples each clip holds before the padding, and the batch's start time (perf_counter).
    Torch runs on ``n_threads`` threads meanwhile; a progress bar counts the tracks."""
    import offline_models

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        wmodel = offline_models.load_whisper(model, cache_dir=Path(CACHE_DIR) / "models", device=device)
        paths = list(tracks["path"])
        bar = progress(total=len(paths), desc=desc, disable=not verbose)
        for i in range(0, len(paths), batch_size):
            start = time.perf_counter()
            mels, n_samples = _whisper_mels(paths[i:i + batch_size], wmodel, clip_seconds, device)
            with torch.no_grad():
                features = wmodel.embed_audio(mels)            # the encoder runs once per clip
            yield wmodel, features, n_samples, start
            bar.update(len(n_samples))
        bar.close()
    finally:
        torch.set_num_threads(previous)


def _pool_encoder_output(features: torch.Tensor, n_samples: list[int]) -> np.ndarray:
    """Return each clip's encoder output averaged over the frames that hold audio (padding left out)."""
    import whisper

    features = features.float().cpu().numpy()
    frames_per_sample = features.shape[1] / whisper.audio.N_SAMPLES
    return np.stack([f[:max(1, int(round(n * frames_per_sample)))].mean(axis=0)
                     for f, n in zip(features, n_samples)]).astype(np.float32)


def whisper_audio_embeddings(tracks: pd.DataFrame, model: str = "base", clip_seconds: float = 30.0,
                             batch_size: int = 8, n_threads: int = 2, device: str | torch.device = "cpu",
                             cache_dir: Path | str | None = CACHE_DIR, verbose: bool = True) -> np.ndarray:
    """Return per track the Whisper encoder's output averaged over the frames that hold audio,
    shape (n_tracks, encoder width: 512 for base): a pretrained audio embedding, no training.

    The encoder sees the central ``clip_seconds`` (padded to Whisper's 30-s window); the frames
    of the padding are left out of the mean. Cached like the transcripts; :func:`transcribe`
    on the same tracks stores it from its own encoder pass, so after a transcription this
    costs nothing.
    """
    params = dict(model=model, clip_seconds=clip_seconds)
    device = torch.device(device)
    if device.type != "cpu":
        params["device"] = device.type

    def compute():
        batches = _whisper_encoder_batches(tracks, model, clip_seconds, batch_size, n_threads, device,
                                           f"whisper {model} encoder", verbose)
        return {"embeddings": np.concatenate([_pool_encoder_output(features, n_samples)
                                              for _, features, n_samples, _ in batches])}

    return cached("whisper_encoder", params, tracks, compute, cache_dir, verbose,
                  check=expect_rows(len(tracks), "embeddings"))["embeddings"]


def detect_script(text: str) -> str:
    """Return the script of a text: 'bn' (Bengali letters), 'en' (Latin letters), 'other', or '' if no letters."""
    if not isinstance(text, str):
        return ""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return ""
    bengali = sum("\u0980" <= c <= "\u09ff" for c in letters)
    latin = sum(c.isascii() for c in letters)
    top = max(bengali, latin, len(letters) - bengali - latin)
    return "bn" if top == bengali else "en" if top == latin else "other"


def lyrics_for_tracks(tracks: pd.DataFrame, transcripts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per track the lyric text to embed and where it came from ('metadata', 'whisper' or 'none').

    Known metadata lyrics win (an empty string there means known to have none); otherwise
    the Whisper transcript. ``script`` is the writing system of that text, a language signal
    that does not rely on Whisper's language detection.
    """
    known = tracks["lyrics"].notna().to_numpy()
    text = tracks["lyrics"].fillna("").astype(str).to_numpy().copy()
    source = np.where(known, "metadata", "none").astype(object)
    if transcripts is not None:
        t = transcripts.set_index("track_id").reindex(tracks["track_id"])["text"].fillna("").to_numpy()
        use = ~known
        text[use] = t[use]
        source[use] = "whisper"
    table = pd.DataFrame({"track_id": tracks["track_id"].to_numpy(), "text": text, "source": source})
    table["script"] = table["text"].map(detect_script)
    return table


def get_lyrics(tracks: pd.DataFrame, source: str = "auto", whisper_model: str = "base",
               device: str | torch.device = "cpu", verbose: bool = True) -> pd.DataFrame:
    """Return the lyrics table of :func:`lyrics_for_tracks` for a notebook's ``LYRICS_SOURCE``.

    'auto': metadata lyrics where known, Whisper transcripts for the rest (Whisper runs only if
    some track lacks known lyrics); 'whisper': transcripts for every track, metadata ignored;
    'metadata': known lyrics only, no Whisper (tracks without them get empty text).
    """
    if source not in ("auto", "whisper", "metadata"):
        raise ValueError(f"unknown lyrics source {source!r}: use 'auto', 'whisper' or 'metadata'")
    base = tracks.assign(lyrics=None) if source == "whisper" else tracks
    needs_whisper = source != "metadata" and base["lyrics"].isna().any()
    transcripts = transcribe(base, whisper_model, device=device, verbose=verbose) if needs_whisper else None
    return lyrics_for_tracks(base, transcripts)


def describe_lyrics_source(lyrics: pd.DataFrame) -> str:
    """Return where a lyrics table's texts came from, in words, e.g. 'known lyrics 160, no text 40'."""
    names = {"metadata": "known lyrics", "whisper": "Whisper transcripts", "none": "no text"}
    empty = lyrics["text"].fillna("").eq("")
    parts = [f"{names.get(src, src)} {n}" for src, n in lyrics.loc[~empty, "source"].value_counts().items()]
    if empty.any():
        parts.append(f"no text {int(empty.sum())}")
    return ", ".join(parts)


def language_signal(transcripts: pd.DataFrame, lyrics: pd.DataFrame | None = None,
                    min_prob: float = 0.5) -> pd.Series:
    """Return a language guess per track that does not rest on Whisper alone.

    The script of known metadata lyrics decides first (Bengali letters -> 'bn', Latin -> 'en');
    then the script of a Bengali-script transcript; then Whisper's detected language when it
    is 'en' or 'bn' with probability >= ``min_prob``; 'none' for no speech; else 'uncertain'.
    """
    t = transcripts.set_index("track_id")
    out = pd.Series("uncertain", index=t.index, dtype=object)
    speech = t["status"].eq("speech")
    out[~speech] = "none"
    confident = speech & t["language"].isin(["en", "bn"]) & (t["language_prob"] >= min_prob)
    out[confident] = t.loc[confident, "language"]
    out[speech & t["text"].map(detect_script).eq("bn")] = "bn"
    if lyrics is not None:
        meta = lyrics.set_index("track_id").reindex(t.index)
        from_meta = meta["source"].eq("metadata")
        out[from_meta] = meta.loc[from_meta, "script"].replace("", "none")
    return out.rename("language_signal")


def _words(text) -> list[str]:
    """Return the words of a text, lower-cased, punctuation removed."""
    return re.sub(r"[^\w\s]", " ", str(text).lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Return the word error rate of a transcript after lower-casing and removing punctuation (jiwer)."""
    import jiwer

    ref = " ".join(_words(reference))
    if not ref:
        return np.nan
    return float(jiwer.wer(ref, " ".join(_words(hypothesis)) or "<empty>"))


def share_of_words_in_lyrics(lyrics: str, transcript: str) -> float:
    """Return the share of a transcript's words that occur anywhere in the song's lyrics (NaN
    for an empty transcript): a fair measure when the audio is an excerpt of the song and
    the lyrics are the whole song, where a word error rate counts the unheard verses as deleted."""
    heard = _words(transcript)
    if not heard:
        return np.nan
    vocabulary = set(_words(lyrics))
    return float(np.mean([w in vocabulary for w in heard]))


def whisper_sample(tracks: pd.DataFrame, per_language: int, seed: int = 0) -> pd.DataFrame:
    """Return up to ``per_language`` tracks of each language, spread over the genres (one per genre
    in turn), drawn with a seed: the tracks Whisper is measured on. Prints the counts."""
    if not per_language:
        return tracks[:0]
    shuffled = tracks.sample(frac=1, random_state=seed)
    shuffled["turn"] = shuffled.groupby(["language", "genre"]).cumcount()
    sample = (shuffled.sort_values("turn", kind="stable").groupby("language", group_keys=False)
              .head(per_language).drop(columns="turn").sort_values("track_id").reset_index(drop=True))
    print("Whisper sample, tracks per language and genre:\n" + pd.crosstab(sample["language"], sample["genre"]).to_string())
    return sample


def evaluate_transcripts(tracks: pd.DataFrame, transcripts: pd.DataFrame) -> pd.DataFrame:
    """Return per true language: tracks, WER against known lyrics, share of transcript words
    found in the lyrics, language-detection accuracy, language-signal accuracy, the share of
    each gate status (speech, no_speech, repetitive, low_confidence, too_few_words, empty) and
    seconds per track.

    Needs tracks whose language and lyrics are known (the demo; songs with published lyrics).
    For instrumental tracks the detection counts as right when the transcript is empty.
    """
    t = transcripts.set_index("track_id").reindex(tracks["track_id"])
    truth = tracks.set_index("track_id")
    signal = language_signal(transcripts)   # from the audio only: metadata lyrics are not used
    rows = []
    for lang, ids in truth.groupby("language").groups.items():
        sub, ref = t.loc[ids], truth.loc[ids]
        empty = sub["text"].eq("")
        if lang == "instrumental":
            wer, in_lyrics, detected, sig = np.nan, np.nan, empty.mean(), signal.reindex(ids).eq("none").mean()
        else:
            wer = np.nanmean([word_error_rate(r, h) for r, h in zip(ref["lyrics"], sub["text"])])
            shares = [share_of_words_in_lyrics(r, h) for r, h in zip(ref["lyrics"], sub["text"]) if _words(h)]
            in_lyrics = float(np.mean(shares)) if shares else np.nan
            detected = sub["language"].eq(lang).mean()
            sig = signal.reindex(ids).eq(lang).mean()
        status = sub["status"].value_counts(normalize=True)
        rows.append(dict(language=lang, tracks=len(ids), wer=wer, words_in_lyrics=in_lyrics,
                         language_detection_accuracy=detected, language_signal_accuracy=sig, share_empty=empty.mean(),
                         **{f"share_{k}": float(status.get(k, 0.0)) for k in
                            ("speech", "no_speech", "repetitive", "low_confidence", "too_few_words")},
                         seconds_per_track=sub["seconds"].mean(),
                         top_detected=", ".join(f"{k} {v}" for k, v in sub["language"].value_counts().head(3).items())))
    return pd.DataFrame(rows)


NON_LATIN_SHARE = 0.1   # auto: above this share of texts in another script than Latin, the TF-IDF


def choose_text_model(texts: list[str], verbose: bool = True) -> str:
    """Return the offline text representation for these texts, chosen from their scripts (no
    labels): ``tfidf-char`` when more than ``NON_LATIN_SHARE`` of the texts with letters are in
    another script than Latin (e.g. Bangla: the English MiniLM turns it into single characters),
    else ``all-MiniLM-L6-v2``. Measured on real lyrics: results/real/lyrics_text.csv."""
    scripts = [detect_script(t) for t in texts]
    written = [s for s in scripts if s]
    share = sum(s != "en" for s in written) / max(1, len(written))
    model = "tfidf-char" if share > NON_LATIN_SHARE else "all-MiniLM-L6-v2"
    if verbose:
        print(f"text model (auto): {model}, as {share:.0%} of the texts are in another script than Latin")
    return model


def embed_text(texts, model: str = "all-MiniLM-L6-v2", tfidf_dim: int = 64, seed: int = 0,
               device: str | torch.device = "cpu", cache_dir: Path | str | None = CACHE_DIR,
               verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(embeddings, is_empty)``: one unit-norm row per text; empty texts get a zero row and a flag.

    ``model``: ``all-MiniLM-L6-v2`` (offline, from the PyPI package), any other
    sentence-transformers name or folder (online use), ``tfidf-char``: character 2-4-gram
    TF-IDF reduced to ``tfidf_dim`` dimensions by truncated SVD, which treats every script alike,
    or ``auto``: see :func:`choose_text_model`. Cached by model, settings and the texts themselves.
    """
    texts = ["" if not isinstance(t, str) else t.strip() for t in texts]
    model = choose_text_model(texts, verbose) if model == "auto" else model
    is_empty = np.array([t == "" for t in texts], dtype=bool)
    if verbose and is_empty.any():
        print(f"embed_text: {is_empty.sum()} of {len(texts)} texts are empty; they get a zero row flagged in "
              "is_empty, not an embedding of '' (utils.lyrics_blocks keeps them out of lyrics clusters).")
    params = dict(model=model, tfidf_dim=tfidf_dim, seed=seed) if model == "tfidf-char" else dict(model=model)
    if model != "tfidf-char" and torch.device(device).type != "cpu":
        params["device"] = torch.device(device).type   # GPU embeddings differ in the last digits
    result = cached("text_embeddings", params, "text-" + fingerprint_texts(texts),
                    lambda: {"embeddings": _embed_filled(texts, is_empty, model, tfidf_dim, seed, str(device), verbose)},
                    cache_dir, verbose, check=expect_rows(len(texts), "embeddings"))
    return result["embeddings"], is_empty


def _embed_filled(texts: list[str], is_empty: np.ndarray, model: str, tfidf_dim: int, seed: int,
                  device: str, verbose: bool) -> np.ndarray:
    """Return unit-norm embeddings of the non-empty texts, zero rows for the empty ones."""
    filled = [t for t in texts if t]
    if model == "tfidf-char":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not filled:
            return np.zeros((len(texts), tfidf_dim), np.float32)
        tf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(filled)
        k = max(1, min(tfidf_dim, tf.shape[1] - 1, len(filled) - 1))
        dense = TruncatedSVD(k, random_state=seed).fit_transform(tf) if k < tf.shape[1] else tf.toarray()
        dense = np.pad(dense, ((0, 0), (0, tfidf_dim - dense.shape[1])))
    else:
        if model == "all-MiniLM-L6-v2":
            os.environ.setdefault("HF_HUB_OFFLINE", "1")   # the packaged model needs no hub
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        import offline_models

        transformers_logging.disable_progress_bar()   # no "Loading weights" bar in the executed notebooks
        encoder = SentenceTransformer(offline_models.sentence_model_path(model), device=device)
        dim = encoder.get_embedding_dimension()
        if not filled:
            return np.zeros((len(texts), dim), np.float32)
        dense = encoder.encode(filled, batch_size=32, show_progress_bar=verbose and os.environ.get("MUSIC_VAE_PROGRESS") != "summary",
                               convert_to_numpy=True)
    dense = dense / np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    out = np.zeros((len(texts), dense.shape[1]), np.float32)
    out[~is_empty] = dense
    return out


def lyrics_blocks(text_emb: np.ndarray, no_text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(lyrics_only, filled)`` for tracks of which some have no text.

    ``lyrics_only``: the embeddings with NaN rows for the tracks without text; :func:`cluster`
    puts those in no cluster (label -1, "no text", counted like DBSCAN noise), instead of
    letting a shared vector form one cluster of its own. ``filled``: those rows set to the mean
    embedding of the tracks with text, so in a hybrid such a track sits where the lyrics say
    nothing and is placed by its audio alone.
    """
    no_text = np.asarray(no_text, dtype=bool)
    lyrics_only = np.asarray(text_emb, dtype=np.float32).copy()
    filled = lyrics_only.copy()
    lyrics_only[no_text] = np.nan
    filled[no_text] = filled[~no_text].mean(axis=0) if (~no_text).any() else 0.0
    return lyrics_only, filled


def lyrics_genre_signal(embeddings: np.ndarray, genre, language, is_empty: np.ndarray | None = None,
                        seeds=range(5)) -> pd.DataFrame:
    """Return, per language, how much genre the lyrics alone carry: K-Means (k = number of
    genres among that language's tracks with text) on the lyrics embeddings, genre NMI as
    mean and sd over ``seeds``, and the same NMI with the genre labels shuffled (the chance
    level, high for small groups). Labels are used only to score."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    genre, language = np.asarray(genre, dtype=object), np.asarray(language, dtype=object)
    has_text = ~np.asarray(is_empty, bool) if is_empty is not None else np.ones(len(genre), bool)
    rows = []
    for lang in sorted({str(v) for v in language[has_text] if v is not None and v == v}):
        idx = np.flatnonzero(has_text & (language == lang))
        k = len(set(genre[idx]))
        if k < 2 or len(idx) <= k:
            continue
        nmi, chance = [], []
        for seed in seeds:
            labels = KMeans(k, n_init=10, random_state=seed).fit_predict(embeddings[idx])   # as utils.cluster
            nmi.append(normalized_mutual_info_score(genre[idx], labels))
            chance.append(normalized_mutual_info_score(np.random.default_rng(seed).permutation(genre[idx]), labels))
        rows.append(dict(language=lang, tracks=len(idx), genres=k, nmi_genre_mean=float(np.mean(nmi)),
                         nmi_genre_sd=float(np.std(nmi, ddof=1)), nmi_shuffled_mean=float(np.mean(chance))))
    return pd.DataFrame(rows, columns=["language", "tracks", "genres", "nmi_genre_mean", "nmi_genre_sd",
                                       "nmi_shuffled_mean"])
