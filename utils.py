"""Shared helpers for the music-clustering notebooks, in pipeline order.

Sections: setup, caching and progress -> loading tracks -> audio features -> lyrics (Whisper,
text embeddings) -> models -> clustering and metrics -> figures.
Every loader returns one track table (track_id, path, genre, language, lyrics; see the
README's data section) together with a table of skipped files and their reasons. Nothing
heavy runs at import time; optional libraries are imported inside the functions that need
them. Torch is imported here: every notebook trains a model. The offline Whisper and text
model plumbing lives in ``offline_models.py``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Callable, NamedTuple

# Idle OpenMP threads sleep instead of spinning, so torch on two threads does not slow down
# several-fold when the other core is busy (measured on the 2-core target machine). Set before
# torch is imported, so that its thread pool starts with it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "data"
# Cached features, transcripts and trained models; MUSIC_VAE_CACHE points elsewhere (e.g. a fresh
# folder for the reproducibility check, which must recompute everything).
CACHE_DIR = Path(os.environ.get("MUSIC_VAE_CACHE") or DATA_DIR / "cache")
TRACK_COLUMNS = ["track_id", "path", "genre", "language", "lyrics"]
SKIPPED_COLUMNS = ["track_id", "path", "reason"]
SR = 22050            # sample rate of every feature
HOP = 512             # STFT hop (23 ms at 22.05 kHz)
N_FFT = 2048


# ============================================================================ setup, caching and progress
def get_device(device: str = "cpu") -> torch.device:
    """Return the torch device for a notebook's ``DEVICE`` parameter: 'cpu', 'cuda', or 'auto'
    (CUDA when a GPU is available, else the CPU). The committed results come from the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"DEVICE={device!r} but torch sees no CUDA GPU: use 'auto' or 'cpu'")
    return torch.device(device)


def describe_device(device: torch.device) -> str:
    """Return one sentence that says where models run and what that means for the numbers."""
    if device.type == "cuda":
        return (f"Models and Whisper run on {torch.cuda.get_device_name(device)}. GPU kernels sum in another "
                "order than the CPU's, so metrics may differ from the committed CPU results in the last digits "
                "(and clusters can then differ); the same GPU and seed repeat them.")
    return "Models and Whisper run on the CPU (the committed results come from this path; deterministic)."


def print_versions() -> None:
    """Print the Python and package versions this run uses (recorded in executed notebooks)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    names = ["numpy", "pandas", "scikit-learn", "torch", "librosa", "umap-learn", "matplotlib", "seaborn",
             "openai-whisper", "sentence-transformers"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    print(f"Python {platform.python_version()} on {platform.machine()}; " + ", ".join(found))


def fingerprint_tracks(tracks: pd.DataFrame) -> str:
    """Return a short hash of the track list and its files (id, path, size, mtime)."""
    h = hashlib.sha1()
    for tid, path in zip(tracks["track_id"], tracks["path"]):
        stat = os.stat(path) if isinstance(path, str) and path else None
        h.update(f"{tid}|{path}|{stat.st_size if stat else ''}|{stat.st_mtime_ns if stat else ''}\n".encode())
    return h.hexdigest()[:16]


def fingerprint_texts(texts: list[str]) -> str:
    """Return a short hash of a list of texts (order matters)."""
    return hashlib.sha1("\x1f".join(texts).encode()).hexdigest()[:16]


def progress(iterable=None, desc: str = "", total: int | None = None, disable: bool = False, leave: bool = True):
    """Return a tqdm progress bar over ``iterable``, or, when the environment variable
    ``MUSIC_VAE_PROGRESS=summary`` is set (the main job and tests, whose executed notebooks
    are committed or read), a quiet stand-in that prints one line when the loop ends, so a
    saved notebook holds no progress-bar fragments."""
    if os.environ.get("MUSIC_VAE_PROGRESS") == "summary":
        return _SummaryBar(iterable, desc, total, disable)
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=leave)


class _SummaryBar:
    """A tqdm stand-in (iteration, update, close) that prints '<desc>: <n> in <s> s' once at the end."""

    def __init__(self, iterable, desc, total, disable):
        self.iterable, self.desc, self.disable, self.n = iterable, desc, disable, 0
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.start, self.closed = time.perf_counter(), False

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.n += 1
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        if not self.closed and not self.disable:
            print(f"{self.desc}: {self.n}{'' if self.total is None else f'/{self.total}'} "
                  f"in {time.perf_counter() - self.start:.1f} s")
        self.closed = True


def cache_path(stage: str, params: dict, data: pd.DataFrame | str, cache_dir: Path | str | None = CACHE_DIR) -> Path | None:
    """Return the file that caches a stage's output for these parameters and data (None: no caching)."""
    if cache_dir is None:
        return None
    key = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    fingerprint = data if isinstance(data, str) else fingerprint_tracks(data)
    return Path(cache_dir) / fingerprint / f"{stage}-{key}.npz"


def cached(stage: str, params: dict, data: pd.DataFrame | str, compute: Callable[[], dict],
           cache_dir: Path | str | None = CACHE_DIR, verbose: bool = True) -> dict:
    """Return ``compute()``'s dict of arrays, cached in ``<cache_dir>/<fingerprint>/<stage>-<key>.npz``.

    The key hashes the parameters; the fingerprint is that of a track table (see
    :func:`fingerprint_tracks`) or a given string, so a run on other data or other settings
    never reuses an artefact. ``cache_dir=None`` disables caching.
    """
    path = cache_path(stage, params, data, cache_dir)
    if path is None:
        return compute()
    if path.exists():
        if verbose:
            print(f"[cache] {stage}: loaded {path.relative_to(path.parents[1])}")
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **result)
    tmp.replace(path)
    if verbose:
        print(f"[cache] {stage}: saved {path.relative_to(path.parents[1])}")
    return result


# ============================================================================ loading tracks
# Formats libsndfile reads (soundfile ships it); anything else in an audio folder is listed as skipped.
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".au", ".snd", ".aiff", ".aif", ".aifc", ".caf",
                    ".w64", ".rf64")
# Files that are not music and not worth a line each: counted in the summary, never read.
IGNORED_EXTENSIONS = (".csv", ".txt", ".md", ".json", ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".nfo", ".log",
                      ".cue", ".m3u", ".m3u8", ".xml", ".ini", ".db")
SYSTEM_FILES = ("Thumbs.db", "desktop.ini")
# Language values written differently, by the code they normalise to; other values are kept as they are.
LANGUAGE_ALIASES = {"en": ("en", "eng", "english", "en-us", "en-gb"),
                    "bn": ("bn", "bng", "ben", "bangla", "bengali", "bn-bd", "bn-in")}
MISSING_TOKENS = ("NA", "N/A", "<NA>", "NAN", "NONE", "NULL")   # a metadata cell that means "unknown"


def load_tracks(dataset: str = "demo", data_dir: str | Path | None = None, *, preset: str = "full",
                min_duration: float = 3.0, clip_seconds: float = 30.0,
                verbose: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(tracks, skipped)``: the track table and what was left out, with the reason.

    dataset: ``demo`` (built on first use from ``data/make_demo.py``; ``preset`` full|tiny),
    ``gtzan`` (a folder holding ``<genre>.<NNNNN>.au|wav`` files in any layout),
    ``folder`` (``audio/<label>/...`` with an optional ``metadata.csv``: the label is the
    folder directly under ``audio/``, whatever the depth below it) or ``features`` (a
    Kaggle-style table such as ``features_30_sec.csv``; no audio, its feature columns come
    along prefixed ``feat:``). Every audio file is checked (only the central ``clip_seconds``
    that the features use is decoded): files that cannot be read, are digitally silent,
    shorter than ``min_duration`` seconds, in a format the decoders cannot read, or truncated
    below that length are listed in ``skipped``, never dropped silently; a truncated file
    whose readable part is long enough is kept, and a printed note says so.
    """
    if dataset == "demo":
        root = Path(data_dir) if data_dir else DATA_DIR / "demo" / preset
        if not data_dir or not (root / "metadata.csv").exists():
            _build_demo(preset, root)   # builds it, or rebuilds one made by an older recipe
        candidates, skipped = _scan_folder(root, verbose=False)  # its extra columns are the recipe
    elif dataset == "gtzan":
        candidates, skipped = _scan_gtzan(_existing_dir(data_dir, dataset)), []
    elif dataset == "folder":
        candidates, skipped = _scan_folder(_existing_dir(data_dir, dataset), verbose)
    elif dataset == "features":
        return _load_feature_table(data_dir, verbose)
    else:
        raise ValueError(f"unknown dataset {dataset!r}: use 'demo', 'gtzan', 'folder' or 'features'")

    rows, notes = [], []
    iterator = candidates.itertuples(index=False)
    if len(candidates) > 50:
        iterator = progress(iterator, total=len(candidates), desc="checking audio", disable=not verbose)
    for row in iterator:
        reason, note = inspect_audio(row.path, min_duration, clip_seconds)
        if reason:
            skipped.append({"track_id": row.track_id, "path": row.path, "reason": reason})
        else:
            rows.append(row._asdict())
            if note:
                notes.append(f"{row.track_id}: {note}")
    tracks = pd.DataFrame(rows, columns=candidates.columns).reset_index(drop=True)
    skipped = pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    if tracks.empty:
        raise ValueError(f"no usable audio in {dataset} data ({len(skipped)} files skipped):\n"
                         + skipped.to_string(index=False))
    if notes:   # kept, but the user should know
        print(f"NOTE: {len(notes)} file(s) kept although damaged:\n  " + "\n  ".join(notes))
    if verbose:
        summarize_tracks(tracks, skipped)
    return tracks, skipped


def summarize_tracks(tracks: pd.DataFrame, skipped: pd.DataFrame) -> None:
    """Print how many tracks were loaded, by genre and language, and everything skipped, reasons in full."""
    print(f"{len(tracks)} tracks loaded; {len(skipped)} skipped.")
    for col in ("genre", "language"):
        counts = tracks[col].fillna("<missing>").value_counts().sort_index()
        print(f"  {col}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if len(skipped):
        print("Skipped (not used):")
        with pd.option_context("display.max_colwidth", None, "display.width", 250):
            print(skipped.to_string(index=False))


def inspect_audio(path: str, min_duration: float = 3.0, clip_seconds: float | None = 30.0) -> tuple[str | None, str | None]:
    """Return ``(reason, note)`` for an audio file: why it cannot be used (unreadable, empty,
    unsupported, truncated below ``min_duration``, too short, silent, NaN samples) or None; and
    a note for a file that is usable but damaged (truncated: its header promises more audio
    than the file holds). Only the central ``clip_seconds`` that the features use is decoded."""
    import soundfile as sf

    p = Path(path)
    if not p.exists():
        return "file not found", None
    if p.stat().st_size == 0:
        return "empty file (0 bytes)", None
    if p.suffix.lower() not in AUDIO_EXTENSIONS:
        return f"unsupported format ({p.suffix.lower() or 'no extension'}): convert to wav/flac/mp3", None
    try:
        info = sf.info(str(p))
    except Exception as exc:  # libsndfile raises LibsndfileError/RuntimeError for bad files
        return f"cannot decode audio ({_decode_error(exc, p)}); the file may be truncated or headerless", None
    if info.frames <= 0:
        return "no audio samples", None
    duration, note = info.frames / info.samplerate, None
    promised = _declared_seconds(p)
    if promised is not None and promised > duration + 0.05:
        if duration < min_duration:
            return (f"truncated: the header promises {promised:.2f} s, the file holds {duration:.2f} s "
                    f"< min_duration {min_duration:.2f} s"), None
        note = f"truncated: the header promises {promised:.2f} s, the file holds {duration:.2f} s; the readable part is used"
    if duration < min_duration:
        return f"too short: {duration:.2f} s < min_duration {min_duration:.2f} s", None
    try:
        audio = _read_central(p, info, clip_seconds)
    except Exception as exc:
        return f"cannot decode audio ({_decode_error(exc, p)}); the file may be damaged", None
    if not np.isfinite(audio).all():
        return "audio contains NaN or infinite samples", None
    if float(np.max(np.abs(audio))) < 1e-4:
        return "digital silence (peak below -80 dBFS)", None
    return None, note


def _decode_error(exc: Exception, path: Path) -> str:
    """Return libsndfile's message without the file name it repeats (the table names the file)."""
    msg = str(exc).splitlines()[0].replace(f"'{path}'", "").replace(str(path), "")
    msg = re.sub(r"^\s*Error opening\s*(''|\"\")?\s*:?\s*", "", msg).strip(" :")
    return msg or type(exc).__name__


def _read_central(path: Path, info, clip_seconds: float | None) -> np.ndarray:
    """Return the central ``clip_seconds`` of a file at its own rate, channels kept (float32,
    frames x channels), reading only that part from disk."""
    import soundfile as sf

    n = info.frames if not clip_seconds else min(info.frames, int(round(clip_seconds * info.samplerate)))
    start = (info.frames - n) // 2
    audio, _ = sf.read(str(path), start=start, frames=n, dtype="float32", always_2d=True)
    return audio


def _declared_seconds(path: Path) -> float | None:
    """Return the duration a WAV, AU or AIFF header promises (from its data size), or None when
    the header gives none (streamed files) or the format has no such field."""
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(65536)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            pos, block, rate = 12, None, None
            while pos + 8 <= len(head):
                cid, csize = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
                if cid == b"fmt ":
                    rate, block = struct.unpack("<I", head[pos + 12:pos + 16])[0], struct.unpack("<H", head[pos + 20:pos + 22])[0]
                elif cid == b"data":
                    if not block or not rate or csize in (0, 0xFFFFFFFF):
                        return None
                    return csize / block / rate
                pos += 8 + csize + (csize & 1)
            return None
        if head[:4] == b".snd":
            offset, nbytes, encoding, rate, channels = struct.unpack(">IIIII", head[4:24])
            width = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 8, 27: 1}.get(encoding)
            if nbytes == 0xFFFFFFFF or not width or not rate or not channels:
                return None
            return nbytes / (width * channels) / rate
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            frames = rate = None
            pos = 12
            while pos + 8 <= len(head):
                cid, csize = head[pos:pos + 4], struct.unpack(">I", head[pos + 4:pos + 8])[0]
                if cid == b"COMM":
                    frames = struct.unpack(">I", head[pos + 10:pos + 14])[0]
                    exponent, mantissa = struct.unpack(">HQ", head[pos + 16:pos + 26])
                    rate = mantissa * 2.0 ** ((exponent & 0x7FFF) - 16383 - 63)
                    break
                pos += 8 + csize + (csize & 1)
            return frames / rate if frames and rate else None
    except (OSError, struct.error):
        return None
    return None


def _existing_dir(data_dir: str | Path | None, dataset: str) -> Path:
    """Return data_dir as a Path, or raise a message that says what to pass."""
    if not data_dir:
        raise ValueError(f"dataset={dataset!r} needs DATA_DIR: the folder that holds the audio")
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"DATA_DIR {root} does not exist or is not a folder")
    return root


def _build_demo(preset: str, root: Path) -> None:
    """Build the demo preset with data/make_demo.py (imported as a module, so its worker processes can too),
    unless it is there and was built by the current recipe."""
    import sys

    if root != DATA_DIR / "demo" / preset:
        raise FileNotFoundError(
            f"DATASET='demo' with DATA_DIR={root}: that folder has no demo metadata.csv. For your own data set "
            "DATASET to 'folder' (audio/<label>/...), 'gtzan' or 'features'; for the demo leave DATA_DIR empty.")
    if str(DATA_DIR) not in sys.path:
        sys.path.insert(0, str(DATA_DIR))
    import make_demo

    make_demo.build(preset)


def _empty_tracks(n: int = 0) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([pd.NA] * n, dtype="string") for c in TRACK_COLUMNS})


def _scan_gtzan(root: Path) -> pd.DataFrame:
    """Return candidate tracks for GTZAN files named <genre>.<NNNNN>.<au|wav>, anywhere below root."""
    pattern = re.compile(r"^([a-z]+)\.(\d{5})\.(au|wav)$", re.IGNORECASE)
    files = sorted(p for p in root.rglob("*") if p.is_file() and pattern.match(p.name))
    if not files:
        raise FileNotFoundError(
            f"no GTZAN files (<genre>.<NNNNN>.au or .wav) below {root}. Expected e.g. "
            "genres/<genre>/<genre>.00000.au or Data/genres_original/<genre>/<genre>.00000.wav")
    tracks = _empty_tracks(len(files))
    tracks["track_id"] = [p.stem for p in files]
    tracks["path"] = [str(p) for p in files]
    tracks["genre"] = [pattern.match(p.name).group(1).lower() for p in files]
    return tracks


def _read_csv_any_encoding(path: Path) -> pd.DataFrame:
    """Read a CSV as text (UTF-8, else Latin-1 with a printed warning); raise a one-line error
    naming the file when it is empty or not a CSV table."""
    from pandas.errors import EmptyDataError, ParserError

    if path.stat().st_size == 0:
        raise ValueError(f"{path}: empty file (0 bytes); expected a CSV table with a header row")
    if b"\x00" in path.read_bytes()[:4096]:
        raise ValueError(f"{path}: a binary file, not a CSV table")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            table = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
        except UnicodeDecodeError:
            continue
        except (ParserError, EmptyDataError) as exc:
            raise ValueError(f"{path}: not a readable CSV table ({str(exc).strip().splitlines()[-1]})") from None
        if encoding == "latin-1":
            print(f"WARNING: {path} is not UTF-8; read it as Latin-1. Non-English text may be garbled: "
                  "save the file as UTF-8.")
        return table
    raise ValueError(f"{path}: cannot be read as text")


def normalise_languages(values: pd.Series, source: str = "", verbose: bool = True) -> pd.Series:
    """Return language values normalised to codes (en, eng, english -> 'en'; bn, bng, bangla,
    bengali -> 'bn'; case and spaces ignored); other values are kept as they are. Prints the
    distinct values and every change made."""
    values = values.astype("string")
    lookup = {alias: code for code, aliases in LANGUAGE_ALIASES.items() for alias in aliases}
    cleaned = values.str.strip().str.lower()
    out = cleaned.map(lambda v: lookup.get(v, v) if isinstance(v, str) else v).astype("string")
    out = out.where(values.notna() & values.str.strip().ne(""), pd.NA)
    if verbose and out.notna().any():
        changes = {v: lookup[c] for v, c in zip(values, cleaned) if isinstance(c, str) and c in lookup and v != lookup[c]}
        known = sorted(set(out.dropna()))
        other = [v for v in known if v not in LANGUAGE_ALIASES]
        print(f"{source}language values: {', '.join(known)}"
              + (f"; normalised: {', '.join(f'{a!r} -> {b!r}' for a, b in sorted(changes.items()))}" if changes else "")
              + (f"; kept as they are (not en/bn): {', '.join(other)}" if other else ""))
    return out


def _scan_folder(root: Path, verbose: bool = True) -> tuple[pd.DataFrame, list[dict]]:
    """Return candidate tracks from ``audio/<label>/...`` (or ``<label>/...``) plus an optional
    metadata.csv; the label is the first folder below ``audio/``. Files in formats the decoders
    cannot read are listed as skipped; hidden and system files are counted, not read."""
    audio_root = root / "audio" if (root / "audio").is_dir() else root
    meta_path = root / "metadata.csv"
    files, skipped, ignored = [], [], 0
    for p in sorted(audio_root.rglob("*")):
        if not p.is_file() or p == meta_path:
            continue
        rel = p.relative_to(audio_root)
        if any(part.startswith(".") for part in rel.parts) or p.name in SYSTEM_FILES \
                or p.suffix.lower() in IGNORED_EXTENSIONS:
            ignored += 1
        elif p.suffix.lower() in AUDIO_EXTENSIONS:
            files.append(p)
        else:
            skipped.append({"track_id": p.stem, "path": str(p),
                            "reason": f"unsupported format ({p.suffix.lower() or 'no extension'}): "
                                      "convert to wav/flac/mp3"})
    if not files and not meta_path.exists():
        raise FileNotFoundError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {audio_root}"
                                + (f" ({len(skipped)} in other formats)" if skipped else "")
                                + ". Expected audio/<label>/<file>, with an optional metadata.csv beside audio/.")
    if verbose and ignored:
        print(f"{audio_root}: {ignored} hidden, system or non-audio file(s) (e.g. .DS_Store, ._*, cover images, "
              "text) ignored.")
    tracks = _empty_tracks(len(files))
    tracks["track_id"] = [p.stem for p in files]
    tracks["path"] = [str(p) for p in files]
    tracks["genre"] = [p.relative_to(audio_root).parts[0] if len(p.relative_to(audio_root).parts) > 1 else pd.NA
                       for p in files]
    if meta_path.exists():
        tracks, meta_skipped = _merge_metadata(tracks, _read_csv_any_encoding(meta_path), root, audio_root, verbose)
        skipped += meta_skipped
    if tracks["language"].notna().any():
        tracks["language"] = normalise_languages(tracks["language"], "metadata.csv: ", verbose)
    dup = tracks["track_id"].duplicated(keep=False)
    if dup.any():  # same file name in two folders: make ids unique with the path below audio/
        tracks.loc[dup, "track_id"] = [str(Path(p).relative_to(audio_root).with_suffix("").as_posix())
                                       for p in tracks.loc[dup, "path"]]
    return tracks, skipped


def _normalise_key(value: str) -> str:
    """Return a metadata key with Windows separators and a leading ./ removed."""
    key = str(value).strip().replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return key


def _merge_metadata(tracks: pd.DataFrame, meta: pd.DataFrame, root: Path, audio_root: Path,
                    verbose: bool) -> tuple[pd.DataFrame, list[dict]]:
    """Join metadata rows to audio files (by path, filename or track_id); return the tracks and
    the rows that could not be applied: file missing, duplicate row, or a key that matches
    several files (then no file gets it: metadata is never applied to the wrong file).

    Lyrics: an empty cell means the track is known to have none; a cell reading NA (or no
    lyrics column, or no row) means unknown, and Whisper transcribes it.
    """
    meta = meta.rename(columns={c: c.strip().lower() for c in meta.columns}).rename(columns={"label": "genre"})
    known = {"track_id", "path", "filename", "genre", "language", "lyrics"}
    extra = [c for c in meta.columns if c not in known]
    if verbose and extra:
        print(f"metadata.csv: extra columns kept as they are: {extra}")
    key_col = next((c for c in ("path", "filename", "track_id") if c in meta.columns), None)
    if key_col is None:
        raise ValueError(f"{root / 'metadata.csv'} needs a 'path', 'filename' or 'track_id' column "
                         f"to match rows to audio files; it has {list(meta.columns)}")
    index: dict[str, list[int]] = {}
    for i, p in enumerate(tracks["path"]):
        p = Path(p)
        keys = {"path": {p.relative_to(root).as_posix(), p.relative_to(audio_root).as_posix()},
                "filename": {p.name}, "track_id": {p.stem}}[key_col]
        for key in keys:
            index.setdefault(key, []).append(i)
    tracks = tracks.copy()
    for c in extra:
        tracks[c] = pd.Series(pd.NA, index=tracks.index, dtype="string")
    skipped, matched, first_row = [], set(), {}
    meta_file = str(root / "metadata.csv")
    for n, (_, row) in enumerate(meta.iterrows()):
        line = n + 2   # the file's line number (line 1 is the header)
        key = _normalise_key(row[key_col])
        tid = str(row["track_id"]) if "track_id" in meta.columns and key_col != "track_id" else Path(key).stem
        if key in first_row:
            skipped.append({"track_id": tid, "path": meta_file,
                            "reason": f"duplicate metadata.csv row (line {line}) for {key_col} {key!r}: "
                                      f"line {first_row[key]} is used, this one ignored"})
            continue
        first_row[key] = line
        hits = index.get(key, [])
        if not hits:
            skipped.append({"track_id": tid, "path": str(root / key) if key_col == "path" else key,
                            "reason": f"listed in metadata.csv (line {line}) but audio file not found"})
            continue
        if len(hits) > 1:
            where = ", ".join(Path(tracks.at[i, "path"]).relative_to(audio_root).as_posix() for i in hits)
            skipped.append({"track_id": tid, "path": meta_file,
                            "reason": f"metadata.csv line {line}: {key_col} {key!r} matches {len(hits)} files "
                                      f"({where}); applied to none of them: key the rows by 'path' instead"})
            continue
        i = hits[0]
        matched.add(i)
        for c in ("track_id", "genre", "language", "lyrics", *extra):
            if c not in meta.columns:
                continue
            value = str(row[c]).strip()
            if value.upper() in MISSING_TOKENS:
                continue                          # unknown: keep what the folder gave (lyrics: NA -> Whisper)
            if value != "" or c == "lyrics":      # an empty lyrics cell: known to have none
                tracks.at[i, c] = value
    n_unlisted = len(tracks) - len(matched)
    if verbose and n_unlisted:
        print(f"metadata.csv: {n_unlisted} audio files have no metadata row; their label is their folder name.")
    return tracks, skipped


def _load_feature_table(path: str | Path | None, verbose: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the track table of a Kaggle-style feature CSV, its numeric columns prefixed ``feat:``;
    ``label`` is the genre and a ``language`` column is a label too, never a feature."""
    if not path:
        raise ValueError("dataset='features' needs DATA_DIR: the CSV file (e.g. Data/features_30_sec.csv)")
    path = Path(path)
    if path.is_dir():
        found = sorted(path.rglob("features_30_sec.csv"))
        if not found:
            raise FileNotFoundError(f"no features_30_sec.csv below {path}")
        path = found[0]
    if not path.exists():
        raise FileNotFoundError(f"feature table {path} not found")
    table = _read_csv_any_encoding(path)
    table = table.rename(columns={c: c.strip() for c in table.columns})
    missing = {"filename", "label"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}; a feature table needs "
                         "'filename', 'label' and numeric feature columns")
    if table.empty:
        raise ValueError(f"{path}: no rows, only a header")
    label_cols = [c for c in ("filename", "label", "length", "language") if c in table.columns]
    feature_cols = [c for c in table.columns if c not in label_cols]
    if not feature_cols:
        raise ValueError(f"{path}: no feature columns besides {label_cols}")
    values = table[feature_cols].apply(pd.to_numeric, errors="coerce")
    non_numeric = [c for c in feature_cols if values[c].isna().all()]
    if non_numeric:
        raise ValueError(f"{path}: column(s) with no numeric value at all: {non_numeric} (a label column? "
                         "only 'label' and 'language' are read as labels)")
    bad = values.isna().any(axis=1)
    tracks = _empty_tracks(len(table))
    tracks["track_id"] = table["filename"].str.replace(r"\.(wav|au|mp3|flac|ogg)$", "", regex=True)
    tracks["path"] = ""
    tracks["genre"] = table["label"].replace("", pd.NA)
    if "language" in table.columns:
        tracks["language"] = normalise_languages(table["language"].replace("", pd.NA), f"{path.name}: ", verbose)
    tracks = pd.concat([tracks, values.add_prefix("feat:")], axis=1)
    reasons = []
    for r in np.flatnonzero(bad.to_numpy()):
        cols = [c for c in feature_cols if pd.isna(values.at[r, c])]
        shown = ", ".join(f"{c}={table.at[r, c]!r}" for c in cols[:3]) + (f" and {len(cols) - 3} more" if len(cols) > 3 else "")
        reasons.append(f"missing or non-numeric feature value(s): {shown}")
    skipped = pd.DataFrame({"track_id": tracks.loc[bad, "track_id"].to_numpy(), "path": str(path),
                            "reason": reasons}, columns=SKIPPED_COLUMNS)
    tracks = tracks.loc[~bad].reset_index(drop=True)
    if tracks.empty:
        raise ValueError(f"{path}: every row has a missing or non-numeric feature value, e.g. {reasons[0]}")
    if verbose:
        print(f"Feature table {path.name}: {len(feature_cols)} features.")
        summarize_tracks(tracks, skipped)
    return tracks, skipped.reset_index(drop=True)


# ============================================================================ audio features
def load_audio(path: str, sr: int = SR, clip_seconds: float | None = 30.0) -> np.ndarray:
    """Return mono float32 audio at ``sr``, cropped to the central ``clip_seconds`` when longer.

    A file longer than the clip by more than 10 s (a whole album track, a mix) is read only
    around its centre, so memory does not grow with the file's length; shorter files are
    decoded whole and cropped.
    """
    import librosa
    import soundfile as sf

    if clip_seconds:
        try:
            info = sf.info(path)
        except Exception:
            info = None   # not for libsndfile: librosa's other decoders may still read it
        if info is not None and info.frames > (clip_seconds + 10) * info.samplerate:
            audio = _read_central(Path(path), info, clip_seconds).mean(axis=1)
            y = librosa.resample(audio, orig_sr=info.samplerate, target_sr=sr) if info.samplerate != sr else audio
            return y[:int(clip_seconds * sr)].astype(np.float32)
    y, _ = librosa.load(path, sr=sr, mono=True)
    if clip_seconds and len(y) > clip_seconds * sr:
        n = int(clip_seconds * sr)
        start = (len(y) - n) // 2
        y = y[start:start + n]
    return y.astype(np.float32)


def mfcc_feature_names(n_mfcc: int = 40) -> list[str]:
    """Return the names of the columns that :func:`compute_mfcc_stats` returns, in order."""
    names = []
    for prefix in ("mfcc", "dmfcc", "ddmfcc"):
        for stat in ("mean", "std"):
            names += [f"{prefix}{i + 1}_{stat}" for i in range(n_mfcc)]
    for d in ("centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms"):
        names += [f"{d}_mean", f"{d}_std"]
    for stat in ("mean", "std"):
        names += [f"contrast{i + 1}_{stat}" for i in range(7)]
        names += [f"chroma{i + 1}_{stat}" for i in range(12)]
    return names


def compute_mfcc_stats(y: np.ndarray, sr: int = SR, n_mfcc: int = 40) -> np.ndarray:
    """Return one vector per clip: mean and std of MFCCs, their deltas and spectral descriptors."""
    import librosa

    S = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2
    mel = librosa.feature.melspectrogram(S=S, sr=sr, n_mels=128)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=n_mfcc)
    parts = []
    for m in (mfcc, librosa.feature.delta(mfcc), librosa.feature.delta(mfcc, order=2)):
        parts += [m.mean(axis=1), m.std(axis=1)]
    mag = np.sqrt(S)
    desc = [librosa.feature.spectral_centroid(S=mag, sr=sr), librosa.feature.spectral_bandwidth(S=mag, sr=sr),
            librosa.feature.spectral_rolloff(S=mag, sr=sr), librosa.feature.spectral_flatness(S=mag),
            librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP),
            librosa.feature.rms(S=mag, frame_length=N_FFT)]
    for d in desc:
        parts.append(np.array([d.mean(), d.std()]))
    contrast = librosa.feature.spectral_contrast(S=mag, sr=sr)
    chroma = librosa.feature.chroma_stft(S=S, sr=sr, tuning=0.0)  # no piptrack: faster, no numba
    parts += [contrast.mean(axis=1), chroma.mean(axis=1), contrast.std(axis=1), chroma.std(axis=1)]
    return np.concatenate(parts).astype(np.float32)


def compute_logmel_patches(y: np.ndarray, sr: int = SR, n_mels: int = 64, patch_frames: int = 128,
                           n_patches: int = 8, hop_length: int = HOP) -> np.ndarray:
    """Return ``n_patches`` log-mel patches (dB) of shape (n_mels, patch_frames), evenly spaced over the clip.

    A patch covers ``patch_frames * hop_length / sr`` seconds (128 x 512 at 22.05 kHz: 3 s).
    """
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=N_FFT, hop_length=hop_length, n_mels=n_mels)
    logmel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    logmel = np.maximum(logmel, -100.0)
    if logmel.shape[1] < patch_frames:
        raise ValueError(f"clip has {logmel.shape[1]} frames, fewer than patch_frames={patch_frames} "
                         f"({patch_frames * hop_length / sr:.2f} s); raise min_duration in load_tracks")
    starts = np.linspace(0, logmel.shape[1] - patch_frames, n_patches).round().astype(int)
    return np.stack([logmel[:, s:s + patch_frames] for s in starts]).astype(np.float32)


def _features_for_path(path: str, kinds: tuple[str, ...], params: dict) -> dict:
    """Load one file and compute the requested feature kinds (worker function).

    BLAS is held to one thread so that the floating-point sums, and hence the features,
    are the same whatever the number of workers.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        y = load_audio(path, params["sr"], params["clip_seconds"])
        out = {}
        if "mfcc" in kinds:
            out["mfcc"] = compute_mfcc_stats(y, params["sr"], params["n_mfcc"])
        if "logmel" in kinds:
            out["logmel"] = compute_logmel_patches(y, params["sr"], params["n_mels"], params["patch_frames"],
                                                   params["n_patches"], params.get("hop_length", HOP))
    return out


def _extract(tracks: pd.DataFrame, kind: str, params: dict, n_jobs: int,
             cache_dir: Path | str | None, verbose: bool) -> np.ndarray:
    """Compute one feature kind for every track, in parallel, cached; rows follow ``tracks``."""
    if tracks["path"].fillna("").eq("").any():
        raise ValueError("some tracks have no audio path (a feature-only table?): "
                         "use feature_table_matrix(tracks) for such data")

    def compute():
        from joblib import Parallel, delayed
        jobs = (delayed(_features_for_path)(p, (kind,), params) for p in tracks["path"])
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
        rows = [r[kind] for r in progress(results, total=len(tracks), desc=f"{kind} features",
                                      disable=not verbose)]
        return {kind: np.stack(rows)}

    return cached(kind, {"kind": kind, **params}, tracks, compute, cache_dir, verbose)[kind]


def extract_mfcc_stats(tracks: pd.DataFrame, n_mfcc: int = 40, sr: int = SR, clip_seconds: float = 30.0,
                       n_jobs: int = -1, cache_dir: Path | str | None = CACHE_DIR,
                       verbose: bool = True) -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)``: MFCC-statistic vectors (n_tracks, 6*n_mfcc+50) and their column names."""
    params = dict(sr=sr, n_mfcc=n_mfcc, clip_seconds=clip_seconds)
    return _extract(tracks, "mfcc", params, n_jobs, cache_dir, verbose), mfcc_feature_names(n_mfcc)


def extract_logmel_patches(tracks: pd.DataFrame, n_mels: int = 64, patch_frames: int = 128,
                           n_patches: int = 8, hop_length: int = HOP, sr: int = SR, clip_seconds: float = 30.0,
                           n_jobs: int = -1, cache_dir: Path | str | None = CACHE_DIR,
                           verbose: bool = True) -> np.ndarray:
    """Return log-mel patches in dB, shape (n_tracks, n_patches, n_mels, patch_frames)."""
    params = dict(sr=sr, n_mels=n_mels, patch_frames=patch_frames, n_patches=n_patches,
                  clip_seconds=clip_seconds)
    if hop_length != HOP:   # only then in the cache key, so existing caches stay valid
        params["hop_length"] = hop_length
    return _extract(tracks, "logmel", params, n_jobs, cache_dir, verbose)


def audio_durations(tracks: pd.DataFrame) -> np.ndarray:
    """Return each track's duration in seconds, read from the file header (NaN where it cannot be read)."""
    import soundfile as sf

    out = []
    for path in tracks["path"]:
        try:
            out.append(sf.info(path).duration)
        except Exception:
            out.append(np.nan)
    return np.array(out, dtype=float)


def describe_short_clips(tracks: pd.DataFrame, n_patches: int, patch_frames: int, hop_length: int = HOP,
                         sr: int = SR, clip_seconds: float = 30.0) -> str | None:
    """Return a note when some clips are shorter than the ``n_patches`` patches need side by side
    (their evenly spaced patches then overlap), else None."""
    patch_seconds = patch_frames * hop_length / sr
    needed = n_patches * patch_seconds
    seconds = np.minimum(audio_durations(tracks), clip_seconds)
    short = seconds < needed - 0.05
    if not short.any():
        return None
    return (f"NOTE: {int(short.sum())} of {len(tracks)} tracks last less than the {needed:.1f} s that {n_patches} "
            f"patches of {patch_seconds:.1f} s need side by side (shortest {np.nanmin(seconds):.1f} s, median "
            f"{np.nanmedian(seconds):.1f} s): their patches overlap, so each of those tracks is seen through fewer "
            "distinct seconds of audio. Lower N_PATCHES to avoid the overlap.")


def standardise_patches(patches: np.ndarray) -> np.ndarray:
    """Return log-mel patches (n_tracks, n_patches, n_mels, n_frames) as float32 model inputs
    (n_tracks * n_patches, 1, n_mels, n_frames), standardised per mel band (mean and deviation
    over all patches and frames), so loud low bands do not dominate a squared error."""
    mean, std = patches.mean(axis=(0, 1, 3), keepdims=True), patches.std(axis=(0, 1, 3), keepdims=True)
    return ((patches - mean) / std).reshape(-1, 1, *patches.shape[2:]).astype(np.float32)


def logmel_band_stats(patches_db: np.ndarray) -> np.ndarray:
    """Return per track the mean and standard deviation of every mel band (dB) over all its
    patches and frames: a direct spectral representation, (n_tracks, 2 * n_mels)."""
    return np.concatenate([patches_db.mean(axis=(1, 3)), patches_db.std(axis=(1, 3))], axis=1).astype(np.float32)


def pca_of_patches(patches: np.ndarray, n_tracks: int, n_components: int = 16, seed: int = 0) -> np.ndarray:
    """Return per track the mean over its patches of a PCA of the flattened model-input patches
    (the conv VAE's own input, linearly reduced to ``n_components``)."""
    from sklearn.decomposition import PCA

    flat = patches.reshape(len(patches), -1)
    Z = PCA(min(n_components, min(flat.shape) - 1), random_state=seed).fit_transform(flat)
    return Z.reshape(n_tracks, -1, Z.shape[1]).mean(axis=1).astype(np.float32)


def feature_table_matrix(tracks: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Return ``(X, names)`` from the ``feat:`` columns of a feature-table dataset."""
    cols = [c for c in tracks.columns if c.startswith("feat:")]
    if not cols:
        raise ValueError("these tracks have no 'feat:' columns; load them with dataset='features'")
    return tracks[cols].to_numpy(np.float32), [c[5:] for c in cols]


# ============================================================================ lyrics: Whisper and text embeddings
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

    result = cached("transcripts", params, tracks, compute, cache_dir, verbose)
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

    return cached("whisper_encoder", params, tracks, compute, cache_dir, verbose)["embeddings"]


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


def embed_text(texts, model: str = "all-MiniLM-L6-v2", tfidf_dim: int = 64, seed: int = 0,
               device: str | torch.device = "cpu", cache_dir: Path | str | None = CACHE_DIR,
               verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(embeddings, is_empty)``: one unit-norm row per text; empty texts get a zero row and a flag.

    ``model``: ``all-MiniLM-L6-v2`` (offline, from the PyPI package), any other
    sentence-transformers name or folder (online use), or ``tfidf-char``: character 2-4-gram
    TF-IDF reduced to ``tfidf_dim`` dimensions by truncated SVD, which treats every script alike.
    Cached by model, settings and the texts themselves.
    """
    texts = ["" if not isinstance(t, str) else t.strip() for t in texts]
    is_empty = np.array([t == "" for t in texts], dtype=bool)
    if verbose and is_empty.any():
        print(f"embed_text: {is_empty.sum()} of {len(texts)} texts are empty; they get a zero row flagged in "
              "is_empty, not an embedding of '' (utils.lyrics_blocks keeps them out of lyrics clusters).")
    params = dict(model=model, tfidf_dim=tfidf_dim, seed=seed) if model == "tfidf-char" else dict(model=model)
    if model != "tfidf-char" and torch.device(device).type != "cpu":
        params["device"] = torch.device(device).type   # GPU embeddings differ in the last digits
    result = cached("text_embeddings", params, "text-" + fingerprint_texts(texts),
                    lambda: {"embeddings": _embed_filled(texts, is_empty, model, tfidf_dim, seed, str(device), verbose)},
                    cache_dir, verbose)
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

        import offline_models

        encoder = SentenceTransformer(offline_models.sentence_model_path(model), device=device)
        dim = encoder.get_sentence_embedding_dimension()
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


# ============================================================================ models
class VAEOutput(NamedTuple):
    """What a model's forward pass returns: the reconstruction ``x_hat``, the posterior mean
    ``mu`` and log-variance ``logvar`` of q(z | x), and ``side_hat``, the reconstructed side
    vector of a multimodal model (None for the others)."""
    x_hat: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    side_hat: torch.Tensor | None = None


def reparameterise(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Return a sample z = mu + sigma * eps with eps ~ N(0, I): the reparameterisation trick,
    which lets gradients flow through the sampling to mu and logvar."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


class VAE(nn.Module):
    """Variational autoencoder on feature vectors (the easy notebook's model).

    Encoder q(z | x) = N(mu(x), diag(exp(logvar(x)))), a two-layer MLP; decoder p(x | z), the
    mirror MLP, whose output is the mean of a unit-variance Gaussian. Trained with
    :func:`vae_loss` (negative ELBO). In training mode z is sampled with
    :func:`reparameterise`; in evaluation mode z = mu.
    """

    def __init__(self, input_dim: int, latent_dim: int = 16, hidden_dim: int = 256, dropout: float = 0.1):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Linear(input_dim, hidden_dim), nn.LayerNorm(hidden_dim), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim // 2), nn.GELU())
        self.to_mu = nn.Linear(hidden_dim // 2, latent_dim)
        self.to_logvar = nn.Linear(hidden_dim // 2, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim // 2), nn.GELU(),
            nn.Linear(hidden_dim // 2, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, input_dim))

    def encode(self, x, side=None, condition=None):
        """Return (mu, logvar) of q(z | x)."""
        _no_extra_inputs(self, side, condition)
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h).clamp(-10, 10)

    def decode(self, z, condition=None):
        """Return the reconstruction x_hat, the mean of p(x | z)."""
        _no_extra_inputs(self, None, condition)
        return self.decoder(z)

    def forward(self, x, side=None, condition=None) -> VAEOutput:
        mu, logvar = self.encode(x, side, condition)
        z = reparameterise(mu, logvar) if self.training else mu
        return VAEOutput(self.decode(z), mu, logvar)


def _no_extra_inputs(model, side, condition) -> None:
    """Raise a clear error when a model is given a side vector or condition it was not built for."""
    if side is not None and not getattr(model, "side_dim", 0):
        raise ValueError(f"{type(model).__name__} was built without a side input (side_dim=0); pass side=None")
    if condition is not None and not getattr(model, "n_conditions", 0):
        raise ValueError(f"{type(model).__name__} was built without a condition (n_conditions=0); "
                         "pass condition=None")


def _down(c_in: int, c_out: int) -> nn.Sequential:
    """A stride-2 convolution block that halves both axes."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


def _up(c_in: int, c_out: int) -> nn.Sequential:
    """A stride-2 transposed-convolution block that doubles both axes."""
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.BatchNorm2d(c_out),
                         nn.LeakyReLU(0.2))


class ConvVAE(nn.Module):
    """Convolutional VAE on standardised log-mel patches of shape (1, n_mels, n_frames).

    Encoder: four stride-2 convolutions halve both axes four times (channels c/2, c, 2c, 2c),
    then linear heads give mu and logvar of q(z | x). Decoder: a linear layer back to the
    last feature grid and four transposed convolutions, the mirror image. The same class
    gives the hard notebook's variants through named inputs:

    * ``side_dim > 0`` -- **multimodal VAE**: ``forward(x, side=s)`` also reads a side vector
      per patch (e.g. the track's lyrics embedding); the encoder joins the convolutional code
      with it, q(z | x, s), and a small decoder head reconstructs it, ``side_hat``. Its squared
      error enters :func:`vae_loss` with weight ``side_weight``.
    * ``n_conditions > 0`` -- **conditional VAE (CVAE)**: ``forward(x, condition=c)`` with a
      one-hot label c; both the encoder q(z | x, c) and the decoder p(x | z, c) receive it, so
      z need not encode it. The condition is an input only, never reconstructed.
    * ``variational=False`` -- a plain **autoencoder**: z = mu, no sampling, logvar = 0 (train
      with beta = 0: no KL term).
    """

    def __init__(self, n_mels: int = 64, n_frames: int = 128, latent_dim: int = 16, channels: int = 32,
                 side_dim: int = 0, n_conditions: int = 0, variational: bool = True):
        super().__init__()
        if n_mels % 16 or n_frames % 16:
            raise ValueError(f"n_mels and n_frames must be multiples of 16 (got {n_mels} x {n_frames})")
        c = channels
        self.latent_dim, self.variational = latent_dim, variational
        self.side_dim, self.n_conditions = side_dim, n_conditions
        self.patch_shape = (1, n_mels, n_frames)
        self.grid = (2 * c, n_mels // 16, n_frames // 16)   # feature map after the four convolutions
        flat = int(np.prod(self.grid))
        side_hidden = 64 if side_dim else 0
        self.encoder = nn.Sequential(_down(1, c // 2), _down(c // 2, c), _down(c, 2 * c), _down(2 * c, 2 * c),
                                     nn.Flatten())
        if side_dim:
            self.side_in = nn.Sequential(nn.Linear(side_dim, side_hidden), nn.LeakyReLU(0.2))
            self.side_out = nn.Sequential(nn.Linear(latent_dim + n_conditions, side_hidden), nn.LeakyReLU(0.2),
                                          nn.Linear(side_hidden, side_dim))
        joint = flat + side_hidden + n_conditions
        self.to_mu, self.to_logvar = nn.Linear(joint, latent_dim), nn.Linear(joint, latent_dim)
        self.from_z = nn.Sequential(nn.Linear(latent_dim + n_conditions, flat), nn.LeakyReLU(0.2))
        self.decoder = nn.Sequential(_up(2 * c, 2 * c), _up(2 * c, c), _up(c, c // 2),
                                     nn.ConvTranspose2d(c // 2, 1, 4, stride=2, padding=1))

    def _check_inputs(self, side, condition) -> None:
        if self.side_dim and side is None:
            raise ValueError("this multimodal ConvVAE needs side= (one side vector per patch)")
        if self.n_conditions and condition is None:
            raise ValueError("this conditional ConvVAE needs condition= (one one-hot row per patch)")
        _no_extra_inputs(self, side, condition)

    def encode(self, x, side=None, condition=None):
        """Return (mu, logvar) of q(z | x[, side][, condition])."""
        self._check_inputs(side, condition)
        h = [self.encoder(x)]
        if self.side_dim:
            h.append(self.side_in(side))
        if self.n_conditions:
            h.append(condition)
        h = torch.cat(h, dim=1)
        mu = self.to_mu(h)
        logvar = self.to_logvar(h).clamp(-10, 10) if self.variational else torch.zeros_like(mu)
        return mu, logvar

    def _with_condition(self, z, condition):
        return torch.cat([z, condition], dim=1) if self.n_conditions else z

    def decode(self, z, condition=None):
        """Return the reconstructed patch, the mean of p(x | z[, condition]), shape (batch, 1, n_mels, n_frames)."""
        return self.decoder(self.from_z(self._with_condition(z, condition)).view(-1, *self.grid))

    def decode_side(self, z, condition=None):
        """Return the reconstructed side vector of a multimodal model (None without a side input)."""
        return self.side_out(self._with_condition(z, condition)) if self.side_dim else None

    def forward(self, x, side=None, condition=None) -> VAEOutput:
        mu, logvar = self.encode(x, side, condition)
        z = reparameterise(mu, logvar) if self.training and self.variational else mu
        return VAEOutput(self.decode(z, condition), mu, logvar, self.decode_side(z, condition))


def vae_loss(out: VAEOutput, x, side=None, beta: float = 1.0, side_weight: float = 1.0) -> dict:
    """Return the named terms of the loss, each averaged over the batch (torch scalars):

    * ``audio_reconstruction`` = 0.5 * sum of squared errors of x_hat (a unit-variance
      Gaussian decoder, up to a constant: -log p(x | z));
    * ``side_reconstruction`` = 0.5 * side_weight * sum of squared errors of the side vector
      (multimodal models; 0 otherwise);
    * ``reconstruction`` = their sum;
    * ``kl`` = KL(q(z | x) || N(0, I)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar));
    * ``loss`` = reconstruction + beta * kl: the negative ELBO for beta = 1, a Beta-VAE for
      beta > 1, an autoencoder's plain reconstruction loss for beta = 0.
    """
    squared = [((out.x_hat - x) ** 2).flatten(1)]   # any input shape (vectors, spectrograms)
    if out.side_hat is not None:
        squared.append(((out.side_hat - side) ** 2) * side_weight)
    per_row = torch.cat(squared, dim=1) if len(squared) > 1 else squared[0]
    recon = 0.5 * per_row.sum(dim=1).mean()
    audio = 0.5 * squared[0].sum(dim=1).mean()
    kl = (-0.5 * (1 + out.logvar - out.mu ** 2 - out.logvar.exp()).sum(dim=1)).mean()
    return {"loss": recon + beta * kl, "reconstruction": recon, "audio_reconstruction": audio,
            "side_reconstruction": recon - audio, "kl": kl}


def _batches(X: np.ndarray, side: np.ndarray | None, condition: np.ndarray | None, device) -> Callable:
    """Return a function idx -> (x, side, condition) tensors on ``device`` for rows idx of the inputs."""
    arrays = [None if a is None else torch.as_tensor(np.asarray(a), dtype=torch.float32) for a in (X, side, condition)]

    def take(idx):
        return tuple(None if a is None else a[idx].to(device) for a in arrays)

    return take


def heldout_loss(model, X: np.ndarray, side: np.ndarray | None = None, condition: np.ndarray | None = None,
                 side_weight: float = 1.0, seed: int = 0, batch_size: int = 256) -> dict:
    """Return the held-out negative ELBO of rows of X and its terms (means per row), with z
    *sampled* from q(z | x) (one draw per row, from a seeded generator, so it is repeatable):
    reconstruction (incl. a side input's weighted term) + KL at beta = 1. For an autoencoder
    (``variational=False``) there is no ELBO: z = mu and the loss is the reconstruction alone."""
    model.eval()
    device = _model_device(model)
    take = _batches(X, side, condition, device)
    generator = torch.Generator().manual_seed(seed)
    totals = np.zeros(3)
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            x, s, c = take(slice(i, i + batch_size))
            mu, logvar = model.encode(x, s, c)
            if getattr(model, "variational", True):
                eps = torch.randn(mu.shape, generator=generator).to(device)
                z = mu + torch.exp(0.5 * logvar) * eps
            else:
                z = mu
            side_hat = model.decode_side(z, c) if hasattr(model, "decode_side") else None
            terms = vae_loss(VAEOutput(model.decode(z, c), mu, logvar, side_hat), x, s, 1.0, side_weight)
            kl = terms["kl"].item() if getattr(model, "variational", True) else 0.0
            totals += np.array([terms["reconstruction"].item() + kl, terms["reconstruction"].item(), kl]) * len(x)
    totals /= len(X)
    return {"elbo_loss": totals[0], "reconstruction": totals[1], "kl": totals[2]}


def train_vae(model, X: np.ndarray, side: np.ndarray | None = None, condition: np.ndarray | None = None,
              epochs: int = 200, lr: float = 1e-3, batch_size: int = 32, beta: float = 1.0, warmup_epochs: int = 50,
              weight_decay: float = 1e-4, side_weight: float = 1.0, seed: int = 0, X_val: np.ndarray | None = None,
              side_val: np.ndarray | None = None, condition_val: np.ndarray | None = None, patience: int | None = None,
              epoch_rows: int | None = None, n_threads: int = 1, device: str | torch.device = "cpu",
              verbose: bool = True) -> pd.DataFrame:
    """Train ``model`` on rows of X (and, per row, its ``side`` vector and one-hot ``condition``)
    with Adam and a linear KL warm-up; return the per-epoch history.

    The KL weight rises linearly from 0 to ``beta`` over ``warmup_epochs`` (avoids posterior
    collapse early on). History columns: epoch, loss, reconstruction, kl, kl_weight, and with
    ``X_val`` (held-out rows, e.g. the patches of held-out tracks) val_elbo_loss, val_reconstruction
    and val_kl from :func:`heldout_loss` (z sampled, beta = 1). With ``patience``, training stops
    when the held-out loss has not improved for that many epochs after the warm-up, ``epochs``
    being the cap, and the weights of the best epoch are restored (column ``selected`` marks it):
    the stopping point is chosen without labels. Batches are drawn on the CPU with a seeded
    generator and moved to ``device``. With ``epoch_rows`` smaller than X, an epoch trains on the
    next ``epoch_rows`` rows of a seeded stream of permutations of X instead of on all of it: an
    epoch (and with it the cap, the warm-up and the patience) then costs the same optimiser
    steps at any data size; with ``epoch_rows`` >= len(X) (or None) an epoch is one pass over X.
    """
    device = torch.device(device)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(n_threads)   # small models train several times faster on one thread
    torch.manual_seed(seed)   # ensures reproducibility of batch order and sampling noise
    model.to(device)
    take = _batches(X, side, condition, device)
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history, best, best_state, stream = [], np.inf, None, torch.empty(0, dtype=torch.long)
    for epoch in progress(range(1, epochs + 1), desc="VAE epochs", disable=not verbose, leave=False):
        kl_weight = beta * min(1.0, epoch / max(1, warmup_epochs))
        model.train()
        totals = np.zeros(3)
        if epoch_rows is None or epoch_rows >= len(X):
            rows = torch.randperm(len(X), generator=generator)
        else:   # the next epoch_rows rows of a stream of permutations
            while len(stream) < epoch_rows:
                stream = torch.cat([stream, torch.randperm(len(X), generator=generator)])
            rows, stream = stream[:epoch_rows], stream[epoch_rows:]
        for idx in rows.split(batch_size):
            x, s, c = take(idx)
            terms = vae_loss(model(x, s, c), x, s, kl_weight, side_weight)
            optimiser.zero_grad()
            terms["loss"].backward()
            optimiser.step()
            totals += np.array([terms["loss"].item(), terms["reconstruction"].item(), terms["kl"].item()]) * len(idx)
        totals /= len(rows)
        history.append(dict(epoch=epoch, loss=totals[0], reconstruction=totals[1], kl=totals[2],
                            kl_weight=kl_weight))
        if X_val is not None:
            val = heldout_loss(model, X_val, side_val, condition_val, side_weight, seed)
            history[-1].update(val_elbo_loss=val["elbo_loss"], val_reconstruction=val["reconstruction"],
                               val_kl=val["kl"])
            if patience is not None and epoch >= warmup_epochs:
                if val["elbo_loss"] < best:
                    best, best_epoch = val["elbo_loss"], epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                elif epoch - best_epoch >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    torch.set_num_threads(previous_threads)
    history = pd.DataFrame(history)
    if best_state is not None:
        history["selected"] = history["epoch"] == best_epoch
    return history


def split_tracks(n_tracks: int, val_fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """Return a boolean mask of the held-out tracks (a seeded random ``val_fraction`` of them).
    Used per patch with :func:`repeat_per_patch`, so the patches of one track are never on both
    sides of the split."""
    n_val = max(1, int(round(val_fraction * n_tracks))) if n_tracks > 1 else 0
    mask = np.zeros(n_tracks, bool)
    mask[np.random.default_rng([seed, 11]).permutation(n_tracks)[:n_val]] = True
    return mask


def selection_row(name: str, seed: int, history: pd.DataFrame) -> dict:
    """Return one row of a model-selection table: the epochs run, the epoch chosen by the
    held-out loss and that loss (what stopped training, recorded without labels)."""
    row = {"model": name, "seed": seed, "epochs_run": int(history["epoch"].max())}
    if "selected" in history:
        chosen = history.loc[history["selected"]].iloc[0]
        row.update(selected_epoch=int(chosen["epoch"]), val_elbo_loss=float(chosen["val_elbo_loss"]),
                   val_reconstruction=float(chosen["val_reconstruction"]), val_kl=float(chosen["val_kl"]),
                   stopped_early=bool(history["epoch"].max() > chosen["epoch"]))
    return row


# The easy notebook's MLP VAE (its size table, by held-out ELBO, is results/easy/model_selection.csv);
# the medium and hard notebooks train it with these settings as a baseline (cached, so shared).
# epochs is a cap: training stops by the held-out rule of fit_selected. tests/test_notebooks.py
# checks that 01_easy.ipynb's parameters say the same.
EASY_VAE_SETTINGS = dict(latent_dim=16, hidden_dim=512, epochs=400, warmup_epochs=100, beta=1.0, lr=1e-3,
                         batch_size=32, val_fraction=0.2, patience=30)
# The conv VAE of the medium notebook, which the hard notebook's variants share (patches of
# n_mels x patch_frames at hop_length, n_patches per track; epochs is a cap, see fit_selected);
# checked against both notebooks' parameters by tests/test_notebooks.py, so the hard notebook's
# beta = 1 model is the medium's. latent_dim: the size with the lowest held-out negative ELBO in the
# medium notebook's latent-size study (results/medium/hyperparameter_study.csv).
# epoch_rows: an epoch trains on at most this many patches (see train_vae), the training patches of
# the 200-track default (160 tracks x 8); larger data sets cycle through theirs, so the cost of
# training stays that of the default run (benchmarks/cost_at_scale.py), which it leaves unchanged.
CONV_VAE_SETTINGS = dict(n_mels=64, patch_frames=64, hop_length=1024, n_patches=8, latent_dim=32, channels=16,
                         epochs=40, warmup_epochs=10, lr=1e-3, batch_size=64, val_fraction=0.2, patience=5,
                         epoch_rows=1280)
MODEL_CLASSES = {"mlp": VAE, "conv": ConvVAE}


def fit_vae(X: np.ndarray, latent_dim: int = 16, seed: int = 0, hidden_dim: int = 256, dropout: float = 0.1,
            **train_kwargs):
    """Build and train an MLP VAE with a seed; return ``(model, history)`` (see :func:`fit_model`)."""
    return fit_model("mlp", X, dict(latent_dim=latent_dim, hidden_dim=hidden_dim, dropout=dropout), seed=seed,
                     **train_kwargs)


def fit_model(kind: str, X: np.ndarray, model_kwargs: dict, seed: int = 0, side: np.ndarray | None = None,
              condition: np.ndarray | None = None, name: str | None = None,
              cache_dir: Path | str | None = CACHE_DIR, device: str | torch.device = "cpu", verbose: bool = True,
              **train_kwargs):
    """Build a model with a seed and train it with :func:`train_vae`; return ``(model, history)``.

    ``kind``: 'mlp' (:class:`VAE` on rows of X) or 'conv' (:class:`ConvVAE`, with
    ``model_kwargs`` such as latent_dim, channels, side_dim, n_conditions); ``side`` and
    ``condition`` give each row of X its side vector and one-hot condition. The trained weights
    and history are cached under a hash of the inputs' bytes and every setting, so another
    notebook that asks for the same model on the same inputs loads it instead of training it
    again (training is deterministic, so the result is the same either way). One line says
    which happened: "trained in ... s" or "loaded from cache" with the cache key.
    """
    if kind not in MODEL_CLASSES:
        raise ValueError(f"unknown model kind {kind!r}: use {' or '.join(map(repr, MODEL_CLASSES))}")
    device = torch.device(device)
    torch.manual_seed(seed)   # ensures reproducibility of the initial weights
    model = MODEL_CLASSES[kind](X.shape[1], **model_kwargs) if kind == "mlp" else MODEL_CLASSES[kind](**model_kwargs)
    start = time.perf_counter()

    def compute():
        history = train_vae(model, X, side, condition, seed=seed, device=device, verbose=verbose, **train_kwargs)
        state = {f"state/{k}": v.detach().cpu().numpy() for k, v in model.state_dict().items()}
        return {**state, **{f"history/{c}": history[c].to_numpy() for c in history.columns}}

    data = [a for a in (X, side, condition) if a is not None]
    data += [v for v in train_kwargs.values() if isinstance(v, np.ndarray)]
    fingerprint = "arrays-" + hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in data)).hexdigest()[:16]
    params = dict(kind=kind, model=model_kwargs, seed=seed, shape=list(X.shape),
                  train={k: v for k, v in train_kwargs.items() if not isinstance(v, np.ndarray)})
    if device.type != "cpu":   # GPU kernels round differently: never mix their models with CPU ones
        params["device"] = device.type
    path = cache_path("model", params, fingerprint, cache_dir)
    was_cached = path is not None and path.exists()
    trained = cached("model", params, fingerprint, compute, cache_dir, verbose=False)
    model.load_state_dict({k[6:]: torch.as_tensor(v) for k, v in trained.items() if k.startswith("state/")})
    model.to(device).eval()
    history = pd.DataFrame({k[8:]: v for k, v in trained.items() if k.startswith("history/")})
    label = f"{name or type(model).__name__} seed {seed}"
    last = history.iloc[-1]
    kl = f", KL {last.kl:.1f}" if getattr(model, "variational", True) else ""
    if "selected" in history:   # report the chosen epoch's numbers, not the last epoch's
        last = history.loc[history["selected"]].iloc[0]
        kl = (f", KL {last.kl:.1f}" if getattr(model, "variational", True) else "") + (
            f"; epoch {int(last.epoch)} chosen by held-out loss {last.val_elbo_loss:.1f}")
    if was_cached:
        print(f"{label}: loaded from cache ({path.parent.name}/{path.name}); it was trained for "
              f"{len(history)} epochs: final reconstruction {last.reconstruction:.1f}{kl}")
    else:
        print(f"{label}: trained in {time.perf_counter() - start:.1f} s ({len(history)} epochs on {device.type}): "
              f"final reconstruction {last.reconstruction:.1f}{kl}")
    return model, history


def fit_selected(kind: str, X: np.ndarray, model_kwargs: dict, seed: int = 0, n_tracks: int | None = None,
                 side: np.ndarray | None = None, condition: np.ndarray | None = None, val_fraction: float = 0.2,
                 patience: int = 8, name: str | None = None, **kwargs):
    """Train a model with the project's one selection rule and return ``(model, history, selection)``:
    a seeded ``val_fraction`` of the tracks is held out (all rows of a track on one side),
    training runs on the others until the held-out negative ELBO (z sampled) has not improved
    for ``patience`` epochs (``epochs`` is the cap), and the best epoch's weights are kept.
    ``selection`` is a row for ``model_selection.csv``. No label is used. X holds ``n_tracks``
    consecutive groups of equally many rows (patches); for one row per track leave it None."""
    n_tracks = n_tracks or len(X)
    held_tracks = split_tracks(n_tracks, val_fraction, seed)
    held = np.repeat(held_tracks, len(X) // n_tracks)

    def part(a, mask):
        return None if a is None else a[mask]

    model, history = fit_model(kind, X[~held], model_kwargs, seed, side=part(side, ~held),
                               condition=part(condition, ~held), name=name, X_val=X[held],
                               side_val=part(side, held), condition_val=part(condition, held), patience=patience,
                               **kwargs)
    return model, history, {**selection_row(name or kind, seed, history),
                            "train_tracks": int((~held_tracks).sum()), "heldout_tracks": int(held_tracks.sum())}


def fit_easy_vae(X: np.ndarray, seed: int = 0, name: str = "easy MLP VAE", device: str | torch.device = "cpu",
                 verbose: bool = False, **overrides):
    """Return ``(model, history, selection)``: the easy notebook's MLP VAE (``EASY_VAE_SETTINGS``,
    any of them overridden) on rows of X, trained with :func:`fit_selected`'s rule."""
    s = {**EASY_VAE_SETTINGS, **overrides}
    model_kwargs = {"latent_dim": s.pop("latent_dim"), "hidden_dim": s.pop("hidden_dim")}
    return fit_selected("mlp", X, model_kwargs, seed, name=name, device=device, verbose=verbose, **s)


def repeat_per_patch(values: np.ndarray, n_patches: int) -> np.ndarray:
    """Return per-track rows (e.g. a lyrics embedding or a one-hot label) repeated for each of
    the track's ``n_patches`` consecutive patches, as float32 model inputs."""
    return np.repeat(np.asarray(values, dtype=np.float32), n_patches, axis=0)


def _model_device(model) -> torch.device:
    return next(model.parameters()).device


def encode_mean(model, X: np.ndarray, side: np.ndarray | None = None, condition: np.ndarray | None = None,
                batch_size: int = 256) -> np.ndarray:
    """Return the latent means mu(x) of rows of X (the representation that gets clustered)."""
    model.eval()
    take = _batches(X, side, condition, _model_device(model))
    with torch.no_grad():
        parts = [model.encode(*take(slice(i, i + batch_size)))[0].cpu() for i in range(0, len(X), batch_size)]
    return torch.cat(parts).numpy()


def encode_tracks(model, X: np.ndarray, n_tracks: int, side: np.ndarray | None = None,
                  condition: np.ndarray | None = None) -> np.ndarray:
    """Return one latent vector per track: the mean of mu(x) over the track's rows of X
    (X holds ``n_tracks`` consecutive groups of equally many patches)."""
    Z = encode_mean(model, X, side, condition)
    return Z.reshape(n_tracks, -1, Z.shape[1]).mean(axis=1)


def reconstruct(model, X: np.ndarray, side: np.ndarray | None = None, condition: np.ndarray | None = None) -> np.ndarray:
    """Return the model's reconstructions of rows of X (the audio part) from their latent means (no sampling)."""
    model.eval()
    x, s, c = _batches(X, side, condition, _model_device(model))(slice(None))
    with torch.no_grad():
        mu, _ = model.encode(x, s, c)
        return model.decode(mu, c).cpu().numpy()


def reconstruction_error(model, X: np.ndarray, side: np.ndarray | None = None, condition: np.ndarray | None = None,
                         batch_size: int = 256) -> float:
    """Return the mean squared error per value of the reconstructions of X (the audio part,
    so models with and without side inputs compare on the same thing) from the latent means."""
    errors = []
    for i in range(0, len(X), batch_size):
        part = slice(i, i + batch_size)
        x = X[part]
        rest = [None if a is None else a[part] for a in (side, condition)]
        diff = reconstruct(model, x, *rest).reshape(len(x), -1) - x.reshape(len(x), -1)
        errors.append((diff ** 2).mean(axis=1))
    return float(np.concatenate(errors).mean())


def one_hot(values) -> tuple[np.ndarray, list[str]]:
    """Return ``(matrix, categories)``: a one-hot float32 matrix of a label column (missing = 'unknown')."""
    values = pd.Series(np.asarray(values, dtype=object)).fillna("unknown").astype(str)
    categories = sorted(values.unique())
    return (values.to_numpy()[:, None] == np.array(categories)[None, :]).astype(np.float32), categories


def traverse_latent(model, z: np.ndarray, unit: int, values, condition: np.ndarray | None = None) -> np.ndarray:
    """Return decoded log-mel patches for ``z`` with latent ``unit`` set to each of ``values`` in turn
    (a latent traversal; other units stay fixed), shape (len(values), n_mels, n_frames)."""
    Z = np.repeat(np.asarray(z, np.float32)[None, :], len(values), axis=0)
    Z[:, unit] = values
    device = _model_device(model)
    cond = None if condition is None else torch.as_tensor(np.repeat(condition[None, :], len(values), 0)).to(device)
    model.eval()
    with torch.no_grad():
        out = model.decode(torch.as_tensor(Z).to(device), cond).cpu().numpy()
    return out.reshape(len(values), *model.patch_shape[1:])


# ============================================================================ clustering and metrics
def cluster(Z: np.ndarray, method: str = "kmeans", n_clusters: int = 10, seed: int = 0, **kwargs) -> np.ndarray:
    """Return cluster labels of rows of Z: 'kmeans', 'agglomerative' (Ward), 'gmm' (Gaussian
    mixture, diagonal covariances) or 'dbscan' (-1 = noise). Rows holding NaN (no vector for
    that track) get -1 and the others are clustered without them."""
    from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans

    rows = np.isfinite(Z).all(axis=1)
    if not rows.all():   # tracks without a vector (lyrics of a track without text): in no cluster
        labels = np.full(len(Z), -1)
        if rows.sum() > max(n_clusters if method != "dbscan" else 1, 1):
            labels[rows] = cluster(Z[rows], method, n_clusters, seed, **kwargs)
        return labels
    if method == "kmeans":
        return KMeans(n_clusters, n_init=10, random_state=seed, **kwargs).fit_predict(Z)
    if method == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(n_clusters, covariance_type=kwargs.pop("covariance_type", "diag"), n_init=3,
                               random_state=seed, **kwargs).fit_predict(Z)
    if method == "agglomerative":
        return AgglomerativeClustering(n_clusters, linkage=kwargs.pop("linkage", "ward"), **kwargs).fit_predict(Z)
    if method == "dbscan":
        return DBSCAN(**kwargs).fit_predict(Z)
    raise ValueError(f"unknown clustering method {method!r}")


def combine_blocks(blocks: dict[str, np.ndarray], weights: dict[str, float] | None = None) -> np.ndarray:
    """Return the blocks (e.g. audio latent, lyrics embedding) side by side, each given equal say.

    Each block is centred and divided by the square root of its total variance (the sum over
    its columns), so every block has total variance 1 whatever its width or units, while the
    proportions inside a block are kept (a nearly unused latent unit stays small instead of
    being blown up to unit variance). ``weights`` (default 1) scale a block's share of
    squared distances by weight**2.
    """
    parts = []
    for name, block in blocks.items():
        block = np.asarray(block, dtype=np.float64)
        centred = block - block.mean(axis=0)
        total = np.sqrt(centred.var(axis=0).sum())
        parts.append(centred / (total if total > 0 else 1.0) * (weights or {}).get(name, 1.0))
    return np.hstack(parts).astype(np.float32)


def choose_dbscan_eps(Z: np.ndarray, min_samples: int = 5, quantiles=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                      max_noise: float = 0.3) -> tuple[float, np.ndarray, pd.DataFrame]:
    """Return ``(eps, k_distances, candidates)``: DBSCAN's eps chosen without labels.

    Candidates are quantiles of the distance from each point to its ``min_samples``-th
    neighbour (zero distances, duplicated points, left out). Each is run; a candidate is
    admissible when it gives at least two clusters and at most ``max_noise`` of the points as
    noise, and the admissible one with the highest silhouette of its non-noise points wins.
    When none is admissible, the candidate with the most clusters (then the least noise) is
    taken, and the ``candidates`` table (eps, n_clusters, noise_share, silhouette, admissible,
    chosen) shows why.
    """
    from sklearn.cluster import DBSCAN
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import NearestNeighbors

    Z = Z[np.isfinite(Z).all(axis=1)]    # tracks without a vector are in no cluster (see cluster)
    dist, _ = NearestNeighbors(n_neighbors=min(min_samples + 1, len(Z))).fit(Z).kneighbors(Z)
    curve = np.sort(dist[:, -1])          # column 0 is the point itself
    positive = curve[curve > 1e-12]
    values = np.unique(np.quantile(positive, quantiles)) if len(positive) else np.array([1e-6])
    rows = []
    for eps in values:
        labels = DBSCAN(eps=float(eps), min_samples=min_samples).fit_predict(Z)
        kept = labels != -1
        n = len(set(labels[kept]))
        sil = float(silhouette_score(Z[kept], labels[kept])) if 2 <= n < kept.sum() else np.nan
        rows.append(dict(eps=float(eps), n_clusters=n, noise_share=float(1 - kept.mean()), silhouette=sil))
    table = pd.DataFrame(rows)
    table["admissible"] = (table["n_clusters"] >= 2) & (table["noise_share"] <= max_noise) & table["silhouette"].notna()
    if table["admissible"].any():
        best = table.loc[table["admissible"], "silhouette"].idxmax()
    else:
        best = table.sort_values(["n_clusters", "noise_share"], ascending=[False, True]).index[0]
    table["chosen"] = table.index == best
    return float(table.loc[best, "eps"]), curve, table


def choose_k(Z: np.ndarray, ks=range(2, 16), seed: int = 0) -> pd.DataFrame:
    """Return the silhouette of K-Means for each k (no labels used); the best k has the highest."""
    from sklearn.metrics import silhouette_score

    rows = [{"k": k, "silhouette": float(silhouette_score(Z, cluster(Z, "kmeans", k, seed)))}
            for k in ks if 2 <= k < len(Z)]
    return pd.DataFrame(rows)


def cluster_purity(y_true, y_pred) -> float:
    """Return purity: the share of tracks whose cluster's majority label is their own label."""
    from sklearn.metrics.cluster import contingency_matrix

    m = contingency_matrix(y_true, y_pred)
    return float(m.max(axis=0).sum() / m.sum())


def matched_accuracy(y_true, y_pred) -> float:
    """Return the accuracy after the best one-to-one matching of clusters to labels (Hungarian
    method on the contingency table); clusters left unmatched count as wrong."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics.cluster import contingency_matrix

    m = contingency_matrix(y_true, y_pred)
    rows, cols = linear_sum_assignment(-m)
    return float(m[rows, cols].sum() / m.sum())


def evaluate(Z: np.ndarray, labels: np.ndarray, truth: dict[str, pd.Series | np.ndarray] | None = None) -> dict:
    """Return internal scores of a clustering of Z (silhouette, Calinski-Harabasz, Davies-Bouldin)
    and, per entry of ``truth`` (e.g. genre, language; used for evaluation only), NMI, ARI,
    purity and Hungarian-matched accuracy (``acc_<name>``).

    Scores that are undefined for the result (fewer than two clusters) are NaN, never 0.
    DBSCAN noise points (-1) are left out of the internal scores and counted in ``noise_share``.
    """
    from sklearn import metrics

    labels = np.asarray(labels)
    kept = labels != -1
    n_clusters = len(set(labels[kept]))
    out = {"n_clusters": n_clusters, "noise_share": float(1 - kept.mean())}
    ok = 2 <= n_clusters < kept.sum()
    out["silhouette"] = float(metrics.silhouette_score(Z[kept], labels[kept])) if ok else np.nan
    out["calinski_harabasz"] = float(metrics.calinski_harabasz_score(Z[kept], labels[kept])) if ok else np.nan
    out["davies_bouldin"] = float(metrics.davies_bouldin_score(Z[kept], labels[kept])) if ok else np.nan
    for name, y in (truth or {}).items():
        y = pd.Series(np.asarray(y, dtype=object))
        known = y.notna().to_numpy()
        if known.sum() < 2 or y[known].nunique() < 2:
            continue
        yk, lk = y[known].astype(str).to_numpy(), labels[known]
        out[f"nmi_{name}"] = float(metrics.normalized_mutual_info_score(yk, lk))
        out[f"ari_{name}"] = float(metrics.adjusted_rand_score(yk, lk))
        out[f"purity_{name}"] = cluster_purity(yk, lk)
        out[f"acc_{name}"] = matched_accuracy(yk, lk)
    return out


def latent_information(Z: np.ndarray, labels: dict[str, pd.Series | np.ndarray], seed: int = 0) -> pd.DataFrame:
    """Return, per latent dimension (rows) and label (columns), the mutual information between
    the unit and the label divided by the label's entropy (0: says nothing; 1: determines it).

    Estimated with scikit-learn's nearest-neighbour estimator (``mutual_info_classif``) over
    the tracks whose class has at least two tracks; a label with fewer than two such classes
    is left out. Used only to describe a trained model, never to train one.
    """
    from scipy.stats import entropy
    from sklearn.feature_selection import mutual_info_classif

    out = {}
    for name, y in labels.items():
        y = pd.Series(np.asarray(y, dtype=object))
        counts = y.map(y.value_counts())
        known = (y.notna() & (counts >= 2)).to_numpy()   # the estimator needs two tracks of a class at least
        if y[known].nunique() < 2:
            continue
        yk = y[known].astype(str).to_numpy()
        h = entropy(pd.Series(yk).value_counts(normalize=True))
        out[name] = mutual_info_classif(Z[known], yk, random_state=seed) / h
    return pd.DataFrame(out, index=pd.Index(range(Z.shape[1]), name="latent unit"))


def active_units(Z_tracks: np.ndarray, threshold: float = 0.01) -> int:
    """Return the number of active latent units (Burda et al., 2016): units whose posterior mean
    moves with the input, Var over tracks of E[z_u | x] > ``threshold``, on the scale the N(0, 1)
    prior sets. A collapsed unit sits at the prior whatever the input."""
    return int((np.asarray(Z_tracks).var(axis=0) > threshold).sum())


def mutual_information_gap(info: pd.DataFrame) -> pd.Series:
    """Return per label the gap between the two most informative latent units (normalised
    mutual information, from :func:`latent_information`): high when one unit alone carries the
    label, i.e. a disentangled code (the MIG of Chen et al., 2018)."""
    top = np.sort(info.to_numpy(), axis=0)[::-1]
    return pd.Series(top[0] - top[1], index=info.columns, name="mig")


METRIC_COLUMNS = ["method", "seed", "n_clusters", "noise_share", "silhouette", "calinski_harabasz",
                  "davies_bouldin", "silhouette_features", "nmi_genre", "ari_genre", "purity_genre", "acc_genre",
                  "nmi_language", "ari_language", "purity_language", "acc_language"]


def summarize_scores(scores: pd.DataFrame, by: str | list[str] = "method",
                     metrics: list[str] | None = None) -> pd.DataFrame:
    """Return mean, standard deviation and number of seeds of each metric per group."""
    metrics = metrics or [c for c in scores.columns if c not in (["seed"] + ([by] if isinstance(by, str) else by))
                          and pd.api.types.is_numeric_dtype(scores[c])]
    grouped = scores.groupby(by, sort=False)[metrics]
    table = grouped.agg(["mean", "std"])
    table[("n_seeds", "")] = grouped.size()
    return table


def format_scores(summary: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Return a summary as 'mean ± std' strings, one column per metric, for display."""
    metrics = [m for m in summary.columns.get_level_values(0).unique() if m != "n_seeds"]
    out = pd.DataFrame({m: [f"{a:.{digits}f} ± {b:.{digits}f}" if pd.notna(a) else "undefined"
                            for a, b in zip(summary[(m, "mean")], summary[(m, "std")].fillna(0))]
                        for m in metrics}, index=summary.index)
    out["seeds"] = summary[("n_seeds", "")].to_numpy()
    return out


def paired_differences(scores: pd.DataFrame, target: str, others: list[str], metrics: list[str],
                       by: str = "method", confidence: float = 0.95) -> pd.DataFrame:
    """Return, per other method and metric, the paired per-seed difference target - other
    (same seeds, same data): mean, a t interval at ``confidence`` over the seeds, the number of
    seeds, and a verdict: 'higher' or 'lower' when the interval excludes 0, else 'level'
    (also 'level' with fewer than 2 seeds). Higher is better for every metric given here."""
    from scipy import stats

    rows = []
    for metric in metrics:
        a = scores[scores[by] == target].set_index("seed")[metric]
        for other in others:
            b = scores[scores[by] == other].set_index("seed")[metric]
            d = (a - b).dropna()
            n = len(d)
            mean = float(d.mean()) if n else np.nan
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)) if n >= 2 else np.nan
            low, high = mean - half, mean + half
            verdict = ("higher" if n >= 2 and low > 0 else "lower" if n >= 2 and high < 0 else "level")
            rows.append(dict(target=target, other=other, metric=metric, n_seeds=n, target_mean=float(a.mean()),
                             other_mean=float(b.mean()), mean_difference=mean, ci_low=low, ci_high=high,
                             verdict=verdict))
    return pd.DataFrame(rows)


def compare_methods(scores: pd.DataFrame, target: str, others: list[str], metrics: list[str],
                    by: str = "method") -> str:
    """Return sentences comparing ``target`` with each other method on each metric, from
    :func:`paired_differences`: the means, the paired difference and its 95% t interval over
    seeds; 'higher'/'lower' only when the interval excludes 0, else 'level with'."""
    table = paired_differences(scores, target, others, [m for m in metrics if scores[m].notna().any()], by)
    lines = []
    for metric, group in table.groupby("metric", sort=False):
        parts = []
        for r in group.itertuples():
            word = {"higher": "higher than", "lower": "lower than", "level": "level with"}[r.verdict]
            parts.append(f"{word} {r.other} ({r.other_mean:.3f}; paired difference {r.mean_difference:+.3f}, "
                         f"95% interval {r.ci_low:+.3f} to {r.ci_high:+.3f}, {r.n_seeds} seeds)")
        lines.append(f"{metric_name(metric)}: {target} {group.target_mean.iloc[0]:.3f} is " + "; ".join(parts) + ".")
    return "\n".join(lines)


def describe_language_confound(tracks: pd.DataFrame) -> str | None:
    """Return a note when language and genre are confounded (every genre holds a single language,
    as when two sources are pooled, e.g. an English and a Bangla collection), else None: then
    a representation that separates the sources scores on language as well, whatever it hears."""
    known = tracks.dropna(subset=["genre", "language"])
    if known.empty or known["language"].nunique() < 2:
        return None
    per_genre = known.groupby("genre")["language"].nunique()
    if per_genre.max() > 1:
        return None
    return (f"NOTE: every genre in this data holds a single language ({known['genre'].nunique()} genres, "
            f"{known['language'].nunique()} languages), so language equals the genre group, and likely the data "
            "source: language scores here also measure genre and source, not only what is sung.")


def verdict(comparisons: pd.DataFrame, target: str, other: str, metric: str = "nmi_genre") -> str | None:
    """Return the verdict of ``target`` against ``other`` on ``metric`` from a
    :func:`paired_differences` table ('higher', 'lower' or 'level'), or None when not compared."""
    if comparisons is None or comparisons.empty:
        return None
    hit = comparisons[(comparisons.target == target) & (comparisons.other == other) & (comparisons.metric == metric)]
    return hit["verdict"].iloc[0] if len(hit) else None


def lyrics_genre_signal(embeddings: np.ndarray, genre, language, is_empty: np.ndarray | None = None,
                        seeds=range(5)) -> pd.DataFrame:
    """Return, per language, how much genre the lyrics alone carry: K-Means (k = number of
    genres among that language's tracks with text) on the lyrics embeddings, genre NMI as
    mean and sd over ``seeds``, and the same NMI with the genre labels shuffled (the chance
    level, high for small groups). Labels are used only to score."""
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
            labels = cluster(embeddings[idx], "kmeans", k, seed)
            nmi.append(normalized_mutual_info_score(genre[idx], labels))
            chance.append(normalized_mutual_info_score(np.random.default_rng(seed).permutation(genre[idx]), labels))
        rows.append(dict(language=lang, tracks=len(idx), genres=k, nmi_genre_mean=float(np.mean(nmi)),
                         nmi_genre_sd=float(np.std(nmi, ddof=1)), nmi_shuffled_mean=float(np.mean(chance))))
    return pd.DataFrame(rows, columns=["language", "tracks", "genres", "nmi_genre_mean", "nmi_genre_sd",
                                       "nmi_shuffled_mean"])


# ============================================================================ figures
# One visual language for every figure: a fixed colour per genre, per language, per method and
# per clustering algorithm; cluster ids in light hues, numbered on the plot, so a cluster panel
# is never read as a label panel; readable metric names.
GENRE_COLOURS = dict(zip(["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae",
                          "rock"], ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                    "#7f7f7f", "#bcbd22", "#17becf"]))
LANGUAGE_COLOURS = {"en": "#1b9e77", "bn": "#d95f02", "de": "#7570b3", "instrumental": "#555555",
                    "unknown": "#bbbbbb"}
METHOD_COLOURS = {
    # audio baselines: greys, purples (spectral) and brown (the autoencoder)
    "raw MFCC statistics": "#8c8c8c", "Raw features + K-Means": "#8c8c8c", "PCA (MFCC)": "#5a5a5a",
    "PCA + K-Means": "#5a5a5a", "log-mel band statistics": "#7b4f9d", "PCA (log-mel patches)": "#b99fd1",
    "conv AE": "#a6761d",
    # VAEs on audio: blues (the easy MLP VAE in teal), lighter as beta grows
    "VAE + K-Means": "#1f5fa8", "easy MLP VAE (MFCC)": "#1b9aaa", "conv VAE (audio)": "#1f5fa8",
    "Beta-VAE beta=1": "#1f5fa8", "Beta-VAE beta=4": "#4a8fd4", "Beta-VAE beta=8": "#7fb2e0",
    "Beta-VAE beta=16": "#4a8fd4", "Beta-VAE beta=64": "#7fb2e0", "Beta-VAE beta=256": "#b3d1ef",
    # with lyrics: greens; conditional: oranges
    "lyrics": "#74c476", "hybrid (conv VAE + lyrics)": "#238b45", "medium hybrid (conv VAE + lyrics)": "#238b45",
    "multimodal VAE": "#00441b", "CVAE given language": "#e6550d", "CVAE given genre": "#fdae6b"}
ALGORITHM_COLOURS = {"kmeans": "#4c72b0", "agglomerative": "#55a868", "gmm": "#8172b3", "dbscan": "#c44e52"}
METRIC_NAMES = {"nmi_genre": "NMI (genre)", "ari_genre": "ARI (genre)", "purity_genre": "purity (genre)",
                "acc_genre": "matched accuracy (genre)", "nmi_language": "NMI (language)",
                "ari_language": "ARI (language)", "purity_language": "purity (language)",
                "acc_language": "matched accuracy (language)", "silhouette": "silhouette (own space)",
                "silhouette_features": "silhouette (MFCC-statistics space)", "calinski_harabasz": "Calinski-Harabasz",
                "davies_bouldin": "Davies-Bouldin (lower is better)", "noise_share": "share called noise",
                "n_clusters": "clusters found", "reconstruction": "reconstruction term",
                "reconstruction_mse": "reconstruction MSE (per value)", "kl": "KL term", "active_units": "active units",
                "mig_genre": "MIG (genre)", "mig_language": "MIG (language)", "loss": "loss",
                "heldout_elbo_loss": "held-out negative ELBO (lower is better)", "selected_epoch": "epoch chosen"}
_EXTRA_COLOURS = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
                  "#756bb1", "#636363", "#6b6ecf", "#b5cf6b", "#e7ba52", "#d6616b", "#ce6dbd", "#9c9ede"]


def metric_name(metric: str) -> str:
    """Return the readable name of a metric column (e.g. 'nmi_genre' -> 'NMI (genre)')."""
    return METRIC_NAMES.get(metric, metric.replace("_", " "))


def label_palette(values, kind: str = "genre") -> dict:
    """Return {value: colour} for a label column ('genre', 'language', 'method' or 'algorithm'):
    the fixed colour of every known value, and colours from a reserve palette, in sorted
    order, for values the fixed table does not know."""
    fixed = {"genre": GENRE_COLOURS, "language": LANGUAGE_COLOURS, "method": METHOD_COLOURS,
             "algorithm": ALGORITHM_COLOURS}.get(kind, {})
    names = sorted(pd.Series(np.asarray(list(values), dtype=object)).fillna("unknown").astype(str).unique())
    others = iter(_EXTRA_COLOURS * (1 + len(names) // len(_EXTRA_COLOURS)))
    return {name: fixed[name] if name in fixed else next(others) for name in names}


def cluster_palette(clusters) -> dict:
    """Return {cluster id: colour}: light, evenly spaced hues (never the label palettes); noise (-1) grey."""
    import seaborn as sns

    ids = sorted(set(int(c) for c in clusters))
    hues = iter(sns.husl_palette(max(1, len([i for i in ids if i >= 0])), l=0.72, s=0.75))
    return {i: "#d0d0d0" if i < 0 else next(hues) for i in ids}


def set_plot_style() -> None:
    """Set the plot style of every notebook: seaborn's white grid, and inline figures at 72 dpi
    (the saved PNGs in results/ use :func:`save_figure`'s own resolution)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 72, "axes.titlesize": "medium", "legend.fontsize": "small"})


def embed_2d(Z: np.ndarray, method: str = "tsne", seed: int = 0) -> np.ndarray:
    """Return a 2-D embedding of rows of Z for plotting: 't-SNE' (scikit-learn) or 'umap'
    (umap-learn); rows holding NaN (no vector) get NaN coordinates and are not drawn."""
    rows = np.isfinite(Z).all(axis=1)
    if not rows.all():
        out = np.full((len(Z), 2), np.nan)
        out[rows] = embed_2d(Z[rows], method, seed)
        return out
    if method == "tsne":
        from sklearn.manifold import TSNE

        return TSNE(2, perplexity=min(30.0, (len(Z) - 1) / 3), init="pca", random_state=seed).fit_transform(Z)
    if method == "umap":
        import umap

        return umap.UMAP(n_neighbors=min(15, len(Z) - 1), random_state=seed, n_jobs=1).fit_transform(Z)
    raise ValueError(f"unknown 2-D method {method!r}: use 'tsne' or 'umap'")


def plot_embeddings(points: dict[str, np.ndarray], colourings: dict, title: str = ""):
    """Return a grid figure: one row per embedding (e.g. VAE, PCA), one column per colouring
    (e.g. cluster, genre, language). A colouring is one array for every row, or a dict giving
    each row its own (e.g. each method's cluster labels). A colouring whose name contains
    'cluster' gets the cluster palette and each cluster's number at its median point; 'genre'
    and 'language' get their fixed colours."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(points), len(colourings), figsize=(5.0 * len(colourings), 4.0 * len(points)),
                             squeeze=False)
    for r, (row_name, xy) in enumerate(points.items()):
        for c, (col_name, values) in enumerate(colourings.items()):
            ax = axes[r, c]
            values = values[row_name] if isinstance(values, dict) else values
            is_cluster = "cluster" in col_name.lower()
            if is_cluster:
                ids = np.asarray(values).astype(int)
                palette = cluster_palette(ids)
                ax.scatter(xy[:, 0], xy[:, 1], c=[palette[i] for i in ids], s=18, linewidths=0)
                for i in sorted(set(ids) - {-1}):
                    mx, my = np.median(xy[ids == i], axis=0)
                    ax.text(mx, my, str(i), ha="center", va="center", fontsize=9, fontweight="bold",
                            bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=palette[i], alpha=0.85))
            else:
                hue = pd.Series(np.asarray(values, dtype=object)).fillna("unknown").astype(str).to_numpy()
                palette = label_palette(hue, "language" if "language" in col_name else "genre")
                for name, colour in palette.items():
                    sel = hue == name
                    ax.scatter(xy[sel, 0], xy[sel, 1], color=colour, s=18, linewidths=0, label=name)
                ax.legend(fontsize=7, markerscale=1.2, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                          title=col_name, title_fontsize=8)
            ax.set(xticks=[], yticks=[], title=f"{row_name}: coloured by {col_name}")
    if title:
        fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return fig


def plot_scores(scores: pd.DataFrame, metrics: list[str], by: str = "method", title: str = ""):
    """Return a bar chart per metric: mean per method (each in its fixed colour) with the
    standard deviation over seeds as an error bar."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    order = list(dict.fromkeys(scores[by]))
    palette = label_palette(order, "method")
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.0 * len(metrics) + 2.2, 0.45 * len(order) + 1.6),
                             squeeze=False, sharey=True)
    for ax, metric in zip(axes[0], metrics):
        sns.barplot(data=scores, y=by, x=metric, hue=by, order=order, hue_order=order, palette=palette,
                    errorbar="sd", ax=ax, legend=False)
        ax.set(title=metric_name(metric), xlabel="", ylabel="")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(histories: pd.DataFrame, title: str = "VAE training"):
    """Return loss curves (total, reconstruction, KL) per epoch, one line per seed."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    names = {"loss": "loss (negative ELBO, KL warm-up weighted)", "reconstruction": "reconstruction term",
             "kl": "KL term"}
    for ax, col in zip(axes, names):
        sns.lineplot(data=histories, x="epoch", y=col, hue="seed", palette="viridis", ax=ax, legend=col == "kl")
        ax.set(title=names[col], ylabel="nats per item")
    axes[-1].legend(title="seed", fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_k_distance(curves: dict[str, tuple[np.ndarray, float]], min_samples: int):
    """Return the sorted k-distance curves (distance to the ``min_samples``-th neighbour) with the
    eps chosen at each knee marked, one panel per representation."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.3), squeeze=False)
    for ax, (name, (curve, eps)) in zip(axes[0], curves.items()):
        ax.plot(curve, lw=1.5, color=METHOD_COLOURS.get(name, "#4c72b0"))
        ax.axhline(eps, color=ALGORITHM_COLOURS["dbscan"], ls="--", lw=1, label=f"eps = {eps:.3g}")
        ax.set(title=name, xlabel="points, sorted", ylabel=f"distance to neighbour {min_samples}")
        ax.legend(fontsize=8)
    fig.suptitle("DBSCAN: eps at the knee of the k-distance curve")
    fig.tight_layout()
    return fig


def plot_contingency(clusters: np.ndarray, labels: dict[str, pd.Series | np.ndarray], title: str = ""):
    """Return heatmaps of cluster x label counts (one per label, e.g. genre and language); each
    cluster's row is shaded by its share of the cluster, and the counts are written in."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    widths = [max(2, pd.Series(np.asarray(v, dtype=object)).nunique()) for v in labels.values()]
    fig, axes = plt.subplots(1, len(labels), figsize=(2.2 + 0.55 * sum(widths) + 1.6 * len(labels),
                                                      0.4 * len(set(clusters)) + 1.8),
                             squeeze=False, gridspec_kw=dict(width_ratios=widths))
    for ax, (name, y) in zip(axes[0], labels.items()):
        table = pd.crosstab(pd.Series(clusters, name="cluster"),
                            pd.Series(np.asarray(y, dtype=object), name=name).fillna("unknown"))
        share = table.div(table.sum(axis=1), axis=0)
        sns.heatmap(share, annot=table, fmt="d", cmap="Blues", vmin=0, vmax=1, cbar=False, ax=ax,
                    annot_kws={"fontsize": 7})
        ax.set(title=f"clusters x {name} (shade: share of the cluster)", xlabel=name, ylabel="cluster")
        ax.tick_params(axis="x", rotation=45)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_spectrograms(rows: dict[str, list[np.ndarray]], column_titles: list[str] | None = None, title: str = "",
                      seconds: float | None = None, vlim: float = 2.5):
    """Return a grid of log-mel patches in standardised units (one row per entry, e.g. original,
    each model's reconstruction, or a latent traversal), mel bands upwards, time in seconds
    across (``seconds``: the patch's duration), with one shared colour bar."""
    import matplotlib.pyplot as plt

    n_cols = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(1.9 * n_cols + 2.2, 1.6 * len(rows) + 0.9),
                             squeeze=False, sharex=True, sharey=True, constrained_layout=True)
    image = None
    for r, (name, patches) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(patches):
                ax.axis("off")
                continue
            patch = np.squeeze(patches[c])
            extent = (0, seconds if seconds else patch.shape[1], 0, patch.shape[0])
            image = ax.imshow(patch, origin="lower", aspect="auto", cmap="magma", vmin=-vlim, vmax=vlim, extent=extent)
            ax.grid(False)   # the plot style's grid would draw lines over the image
            ax.tick_params(labelsize=7)
            if c == 0:
                ax.set_ylabel(f"{name}\nmel band", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("time (s)" if seconds else "frame", fontsize=8)
            if r == 0 and column_titles:
                ax.set_title(column_titles[c], fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="log-mel, standardised per band (sd)")
    if title:
        fig.suptitle(title)
    return fig


def plot_sweep(table: pd.DataFrame, x: str, metrics: list[str], hue: str | None = None, title: str = "",
               log_x: bool = False):
    """Return line plots of metrics against a swept setting (mean and sd over the seeds in ``table``)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    metrics = [m for m in metrics if table[m].notna().any()]   # an undefined score gets no empty panel
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.4 * len(metrics), 3.3), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        sns.lineplot(data=table, x=x, y=metric, hue=hue, marker="o", errorbar="sd", ax=ax, color="#1f5fa8",
                     legend=ax is axes[0, -1] and hue is not None)
        ax.set(title=metric_name(metric), ylabel="")
        if log_x:   # swept values such as 1, 4, 8 evenly spaced, labelled as they are
            from matplotlib.ticker import NullFormatter

            ticks = sorted(v for v in table[x].unique() if v > 0)
            ax.set_xscale("log", base=2)
            ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
            ax.xaxis.set_minor_formatter(NullFormatter())
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_figure(fig, jpeg: bool = False, dpi: int = 72) -> None:
    """Show a figure in the notebook and close it; ``jpeg=True`` for image grids (spectrograms),
    whose PNG would weigh a megabyte in the saved notebook (the PNG in results/ is unaffected)."""
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg" if jpeg else "png", dpi=dpi, bbox_inches="tight",
                **({"pil_kwargs": {"quality": 85}} if jpeg else {}))
    plt.close(fig)
    display(Image(buffer.getvalue(), format="jpeg" if jpeg else "png"))


def save_figure(fig, name: str, results_dir: str | Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as ``<results_dir>/figures/<name>.png``; return the path."""
    path = Path(results_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
