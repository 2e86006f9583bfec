"""Loading tracks: the demo, a GTZAN folder, any ``audio/<label>/`` folder with an optional
``metadata.csv``, or a feature table, into one track table (track_id, path, genre, language,
lyrics) and a table of what was skipped and why. The bad-input checks live here."""
from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from data.caching import DATA_DIR, progress

TRACK_COLUMNS = ["track_id", "path", "genre", "language", "lyrics"]
SKIPPED_COLUMNS = ["track_id", "path", "reason"]
SR = 22050            # sample rate of every feature


# Formats libsndfile reads (soundfile ships it); anything else in an audio folder is listed as skipped.
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".au", ".snd", ".aiff", ".aif", ".aifc", ".caf",
                    ".w64", ".rf64")
# Files that are not music and not worth a line each: counted in the summary, never read.
IGNORED_EXTENSIONS = (".csv", ".txt", ".md", ".json", ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".nfo", ".log",
                      ".cue", ".m3u", ".m3u8", ".xml", ".ini", ".db")
SYSTEM_FILES = ("Thumbs.db", "desktop.ini")
# Language values written differently, by the code they normalize to; other values are kept as they are.
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
        candidates, skipped = _scan_gtzan(_existing_dir(data_dir, dataset))
    elif dataset == "folder":
        candidates, skipped = _scan_folder(_existing_dir(data_dir, dataset), verbose)
    elif dataset == "features":
        return _load_feature_table(data_dir, verbose)
    else:
        raise ValueError(f"unknown dataset {dataset!r}: use 'demo', 'gtzan', 'folder' or 'features'")

    candidates["genre"] = normalize_genres(candidates["genre"], f"{dataset}: ", verbose)
    rows, notes = [], []
    records = candidates.to_dict("records")   # every column's values, whatever its name
    if len(records) > 50:
        records = progress(records, total=len(records), desc="checking audio", disable=not verbose)
    for row in records:
        reason, note = inspect_audio(row["path"], min_duration, clip_seconds)
        if reason:
            skipped.append({"track_id": row["track_id"], "path": _printable(row["path"]), "reason": reason})
        else:
            rows.append(row)
            if note:
                notes.append(f"{row['track_id']}: {note}")
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
    if not os.access(p, os.R_OK):
        return "permission denied: the file cannot be read (check its permissions)", None
    if p.stat().st_size == 0:
        return "empty file (0 bytes)", None
    if p.suffix.lower() not in AUDIO_EXTENSIONS:
        return f"unsupported format ({p.suffix.lower() or 'no extension'}): convert to wav/flac/mp3", None
    try:
        info = sf.info(_fs_path(path))
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
    expected = info.frames if not clip_seconds else min(info.frames, int(round(clip_seconds * info.samplerate)))
    decoded = len(audio) / info.samplerate
    if len(audio) < expected - 0.5 * info.samplerate:   # any format: the header said more than decoding gives
        promised = expected / info.samplerate
        if decoded < min_duration:
            return (f"truncated: the header promises {promised:.2f} s, decoding gives {decoded:.2f} s "
                    f"< min_duration {min_duration:.2f} s"), None
        note = f"truncated: the header promises {promised:.2f} s, decoding gives {decoded:.2f} s; the readable part is used"
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
    audio, _ = sf.read(_fs_path(str(path)), start=start, frames=n, dtype="float32", always_2d=True)
    return audio


def _fs_path(path: str) -> str | bytes:
    """Return a path the audio libraries can open: the file system's bytes when the name is not
    valid UTF-8 (e.g. 'caf\\xe9.wav' from an old Windows zip), else the path as it is."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path)


def _printable(text: str) -> str:
    """Return a file name or path that can be printed and written to CSV: bytes that are not
    UTF-8 read as Latin-1 (their usual origin), so 'caf\\xe9' becomes 'café'."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("latin-1")


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


def _walk_files(root: Path) -> tuple[list[Path], list[dict]]:
    """Return every file below ``root`` (sorted) and a skipped row for each folder that cannot be
    read and each link whose target is gone."""
    files, problems = [], []

    def unreadable(error: OSError) -> None:
        problems.append({"track_id": _printable(Path(error.filename).name), "path": _printable(error.filename),
                         "reason": f"folder cannot be read ({error.strerror.lower()}): its files are not used"})

    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        subfolders.sort()
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() and not path.exists():
                problems.append({"track_id": _printable(path.stem), "path": _printable(str(path)),
                                 "reason": "broken link: the file it points to does not exist"})
            else:
                files.append(path)
    return sorted(files), problems


def _scan_gtzan(root: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Return candidate tracks for GTZAN files named <genre>.<NNNNN>.<au|wav>, anywhere below root,
    and a skipped row for every other audio file (a GTZAN name is how the genre is known)."""
    pattern = re.compile(r"^([a-z]+)\.(\d{5})\.(au|wav)$", re.IGNORECASE)
    found, skipped = _walk_files(root)
    audio = [p for p in found if p.suffix.lower() in AUDIO_EXTENSIONS and not _hidden(p.relative_to(root))]
    files = [p for p in audio if pattern.match(p.name)]
    skipped += [{"track_id": _printable(p.stem), "path": _printable(str(p)),
                 "reason": "not a GTZAN file name (<genre>.<NNNNN>.au or .wav): rename it, or load the folder "
                           "with DATASET='folder' (audio/<label>/...)"} for p in audio if not pattern.match(p.name)]
    if not files:
        raise FileNotFoundError(
            f"no GTZAN files (<genre>.<NNNNN>.au or .wav) below {root}. Expected e.g. "
            "genres/<genre>/<genre>.00000.au or Data/genres_original/<genre>/<genre>.00000.wav")
    tracks = _empty_tracks(len(files))
    tracks["track_id"] = [p.stem for p in files]
    tracks["path"] = [str(p) for p in files]
    tracks["genre"] = [pattern.match(p.name).group(1).lower() for p in files]
    return tracks, skipped


def _read_csv_any_encoding(path: Path) -> pd.DataFrame:
    """Read a CSV as text (UTF-8, else Latin-1 with a printed warning; ``;`` or tab separators
    found and said; NUL bytes dropped, naming their lines; a repeated header name reported and
    its first column used); raise a one-line error naming the file when it is not a table."""
    import io

    from pandas.errors import EmptyDataError, ParserError

    raw = path.read_bytes()
    if not raw:
        raise ValueError(f"{path}: empty file (0 bytes); expected a CSV table with a header row")
    head = raw[:4096]
    if sum(b < 32 and b not in (9, 10, 13) for b in head) > max(4, len(head) // 50):   # control bytes: not text
        raise ValueError(f"{path}: a binary file, not a CSV table")
    if b"\x00" in raw:
        lines = sorted({raw.count(b"\n", 0, m.start()) + 1 for m in re.finditer(b"\x00", raw)})
        print(f"WARNING: {path.name}: NUL byte(s) on line(s) {lines} removed; check those rows")
        raw = raw.replace(b"\x00", b"")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        header = text.splitlines()[0] if text.strip() else ""
        sep = next((s for s in (";", "\t") if "," not in header and s in header), ",")
        try:
            table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        except (ParserError, EmptyDataError) as exc:
            raise ValueError(f"{path}: not a readable CSV table ({str(exc).strip().splitlines()[-1]})") from None
        if encoding == "latin-1":
            print(f"WARNING: {path} is not UTF-8; read it as Latin-1. Non-English text may be garbled: "
                  "save the file as UTF-8.")
        if sep != ",":
            print(f"NOTE: {path.name} is separated by {'tabs' if sep == chr(9) else repr(sep)}, not commas; read it so.")
        return _drop_repeated_columns(table, next(csv.reader([header], delimiter=sep)), path)
    raise ValueError(f"{path}: cannot be read as text")


def _drop_repeated_columns(table: pd.DataFrame, header: list[str], path: Path) -> pd.DataFrame:
    """Return the table without the copies pandas made of a repeated header name (``language.1``),
    printing which names repeat (the first column of each is used)."""
    names = [h.strip() for h in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if not repeated or len(names) != len(table.columns):
        return table
    keep = [i for i, n in enumerate(names) if names.index(n) == i]
    print(f"WARNING: {path.name}: column name(s) {repeated} appear more than once in the header; "
          "the first column of each is used, the others are ignored")
    return table.iloc[:, keep]


def normalize_languages(values: pd.Series, source: str = "", verbose: bool = True) -> pd.Series:
    """Return language values normalized to codes (en, eng, english -> 'en'; bn, bng, bangla,
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
              + (f"; normalized: {', '.join(f'{a!r} -> {b!r}' for a, b in sorted(changes.items()))}" if changes else "")
              + (f"; kept as they are (not en/bn): {', '.join(other)}" if other else ""))
    return out


def _hidden(rel: Path) -> bool:
    """Return whether a file (path relative to the data folder) is hidden or a system file, never music."""
    return any(part.startswith(".") for part in rel.parts) or rel.name in SYSTEM_FILES


def normalize_genres(values: pd.Series, source: str = "", verbose: bool = True) -> pd.Series:
    """Return genre labels compared case-insensitively, like languages: stripped and lower-cased
    ('Rock' and 'rock' are one genre). Prints every change made."""
    out = values.astype("string").str.strip().str.lower()
    changes = sorted({(v, o) for v, o in zip(values, out) if isinstance(v, str) and pd.notna(o) and v != o})
    if verbose and changes:
        print(f"{source}genre labels compared case-insensitively: "
              + ", ".join(f"{a!r} -> {b!r}" for a, b in changes[:12]) + (" ..." if len(changes) > 12 else ""))
    return out


def _scan_folder(root: Path, verbose: bool = True) -> tuple[pd.DataFrame, list[dict]]:
    """Return candidate tracks from ``audio/<label>/...`` (or ``<label>/...``) plus an optional
    metadata.csv; the label is the first folder below ``audio/``. Files in formats the decoders
    cannot read, unreadable folders and broken links are listed as skipped; hidden and system
    files are counted, not read."""
    if root.name == "audio" and not (root / "metadata.csv").exists() and (root.parent / "metadata.csv").exists():
        print(f"NOTE: DATA_DIR is an audio/ folder; {root.parent / 'metadata.csv'} beside it is used. "
              f"Next time point DATA_DIR at {root.parent}.")
        root = root.parent
    audio_root = root / "audio" if (root / "audio").is_dir() else root
    meta_path = root / "metadata.csv"
    found, skipped = _walk_files(audio_root)
    files, ignored = [], 0
    for p in found:
        if p == meta_path:
            continue
        if _hidden(p.relative_to(audio_root)) or p.suffix.lower() in IGNORED_EXTENSIONS:
            ignored += 1
        elif p.suffix.lower() in AUDIO_EXTENSIONS:
            files.append(p)
        else:
            skipped.append({"track_id": _printable(p.stem), "path": _printable(str(p)),
                            "reason": f"unsupported format ({p.suffix.lower() or 'no extension'}): "
                                      "convert to wav/flac/mp3"})
    if not files and not meta_path.exists():
        raise FileNotFoundError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {audio_root}"
                                + (f" ({len(skipped)} in other formats or unreadable)" if skipped else "")
                                + ". Expected audio/<label>/<file>, with an optional metadata.csv beside audio/.")
    if verbose and ignored:
        print(f"{audio_root}: {ignored} hidden, system or non-audio file(s) (e.g. .DS_Store, ._*, cover images, "
              "text) ignored.")
    tracks = _empty_tracks(len(files))
    tracks["track_id"] = [_printable(p.stem) for p in files]
    tracks["path"] = [str(p) for p in files]
    tracks["genre"] = [_printable(p.relative_to(audio_root).parts[0]) if len(p.relative_to(audio_root).parts) > 1
                       else pd.NA for p in files]
    if meta_path.exists():
        tracks, meta_skipped = _merge_metadata(tracks, _read_csv_any_encoding(meta_path), root, audio_root, verbose)
        skipped += meta_skipped
    if tracks["language"].notna().any():
        tracks["language"] = normalize_languages(tracks["language"], "metadata.csv: ", verbose)
    tracks["track_id"] = _unique_ids(tracks, audio_root)
    return tracks, skipped


def _unique_ids(tracks: pd.DataFrame, audio_root: Path) -> pd.Series:
    """Return track ids made unique: a name in two folders gets its path below audio/, and a name
    with two extensions in one folder (t0.wav, t0.flac) keeps its extension, said in a note."""
    ids = tracks["track_id"].copy()
    relative = [Path(p).relative_to(audio_root) for p in tracks["path"]]
    dup = ids.duplicated(keep=False)
    ids[dup] = [_printable(relative[i].with_suffix("").as_posix()) for i in np.flatnonzero(dup)]
    dup = ids.duplicated(keep=False)
    if dup.any():
        ids[dup] = [_printable(relative[i].as_posix()) for i in np.flatnonzero(dup)]
        print(f"NOTE: {int(dup.sum())} files share a name but not an extension; their track ids keep the "
              f"extension: {', '.join(ids[dup].head(4))}")
    return ids


def _normalize_key(value: str) -> str:
    """Return a metadata key with Windows separators and a leading ./ removed."""
    key = str(value).strip().replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return key


def _relative_key(path: Path, root: Path, audio_root: Path) -> str | None:
    """Return an absolute metadata path as a key relative to the data folder, or None outside it."""
    for base in (root.resolve(), audio_root.resolve()):
        if path.resolve().is_relative_to(base):
            return path.resolve().relative_to(base).as_posix()
    return None


def _merge_metadata(tracks: pd.DataFrame, meta: pd.DataFrame, root: Path, audio_root: Path,
                    verbose: bool) -> tuple[pd.DataFrame, list[dict]]:
    """Join metadata rows to audio files (by path, filename or track_id); return the tracks and
    the rows that could not be applied: file missing, duplicate row, or a key that matches
    several files (then no file gets it: metadata is never applied to the wrong file).

    Lyrics: an empty cell means the track is known to have none; a cell reading NA (or no
    lyrics column, or no row) means unknown, and Whisper transcribes it.
    """
    known = {"track_id", "path", "filename", "genre", "language", "lyrics"}
    meta = meta.rename(columns={c: c.strip().lower() for c in meta.columns if c.strip().lower() in known | {"label"}})
    meta = meta.rename(columns={"label": "genre"})
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
    disagree = []
    for n, (_, row) in enumerate(meta.iterrows()):
        line = n + 2   # the file's line number (line 1 is the header)
        key = _normalize_key(row[key_col])
        if key_col == "path" and Path(key).is_absolute():
            key = _relative_key(Path(key), root, audio_root)
            if key is None:
                skipped.append({"track_id": Path(row[key_col]).stem, "path": str(row[key_col]),
                                "reason": f"metadata.csv line {line}: an absolute path outside {root}: "
                                          "use a path relative to the folder (e.g. audio/rock/song.mp3)"})
                continue
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
        folder_label = tracks.at[i, "genre"]
        for c in ("track_id", "genre", "language", "lyrics", *extra):
            if c not in meta.columns:
                continue
            value = str(row[c]).strip()
            if value.upper() in MISSING_TOKENS:
                continue                          # unknown: keep what the folder gave (lyrics: NA -> Whisper)
            if value != "" or c == "lyrics":      # an empty lyrics cell: known to have none
                tracks.at[i, c] = value
        if pd.notna(folder_label) and tracks.at[i, "genre"] != folder_label:
            disagree.append(f"{Path(tracks.at[i, 'path']).name}: folder {folder_label!r}, metadata {tracks.at[i, 'genre']!r}")
    if verbose and disagree:
        print(f"NOTE: metadata.csv's genre differs from the folder for {len(disagree)} file(s); metadata.csv wins: "
              + "; ".join(disagree[:5]) + (" ..." if len(disagree) > 5 else ""))
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
    values = values.where(np.isfinite(values), np.nan)   # inf, -Infinity, 1e400: listed like a missing value
    non_numeric = [c for c in feature_cols if values[c].isna().all()]
    if non_numeric:
        raise ValueError(f"{path}: column(s) with no numeric value at all: {non_numeric} (a label column? "
                         "only 'label' and 'language' are read as labels)")
    bad = values.isna().any(axis=1)
    tracks = _empty_tracks(len(table))
    tracks["track_id"] = table["filename"].str.replace(r"\.(wav|au|mp3|flac|ogg)$", "", regex=True)
    tracks["path"] = ""
    tracks["genre"] = normalize_genres(table["label"].replace("", pd.NA), f"{path.name}: ", verbose)
    if "language" in table.columns:
        tracks["language"] = normalize_languages(table["language"].replace("", pd.NA), f"{path.name}: ", verbose)
    tracks = pd.concat([tracks, values.add_prefix("feat:")], axis=1)
    reasons = []
    for r in np.flatnonzero(bad.to_numpy()):
        cols = [c for c in feature_cols if pd.isna(values.at[r, c])]
        shown = ", ".join(f"{c}={table.at[r, c]!r}" for c in cols[:3]) + (f" and {len(cols) - 3} more" if len(cols) > 3 else "")
        reasons.append(f"missing, infinite or non-numeric feature value(s): {shown}")
    kept_ids = tracks["track_id"].where(~bad)
    repeated = ~bad & kept_ids.notna() & kept_ids.duplicated()   # a second row for one file: the first is used
    first_line = {tid: i + 2 for i, tid in reversed(list(enumerate(kept_ids))) if pd.notna(tid)}
    reasons += [f"duplicate filename {tid!r} (line {i + 2}): line {first_line[tid]} is used, this one ignored"
                for i, tid in zip(np.flatnonzero(repeated), tracks.loc[repeated, "track_id"])]
    dropped = bad | repeated
    skipped = pd.DataFrame({"track_id": pd.concat([tracks.loc[bad, "track_id"], tracks.loc[repeated, "track_id"]]).to_numpy(),
                            "path": str(path), "reason": reasons}, columns=SKIPPED_COLUMNS)
    tracks = tracks.loc[~dropped].reset_index(drop=True)
    if tracks.empty:
        raise ValueError(f"{path}: every row has a missing or non-numeric feature value, e.g. {reasons[0]}")
    if verbose:
        print(f"Feature table {path.name}: {len(feature_cols)} features.")
        summarize_tracks(tracks, skipped)
    return tracks, skipped.reset_index(drop=True)


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
            info = sf.info(_fs_path(path))
        except Exception:
            info = None   # not for libsndfile: librosa's other decoders may still read it
        if info is not None and info.frames > (clip_seconds + 10) * info.samplerate:
            audio = _read_central(Path(path), info, clip_seconds).mean(axis=1)
            y = librosa.resample(audio, orig_sr=info.samplerate, target_sr=sr) if info.samplerate != sr else audio
            return y[:int(clip_seconds * sr)].astype(np.float32)
    y, _ = librosa.load(_fs_path(path), sr=sr, mono=True)
    if clip_seconds and len(y) > clip_seconds * sr:
        n = int(clip_seconds * sr)
        start = (len(y) - n) // 2
        y = y[start:start + n]
    return y.astype(np.float32)


def audio_durations(tracks: pd.DataFrame) -> np.ndarray:
    """Return each track's duration in seconds, read from the file header (NaN where it cannot be read)."""
    import soundfile as sf

    out = []
    for path in tracks["path"]:
        try:
            out.append(sf.info(_fs_path(path)).duration)
        except Exception:
            out.append(np.nan)
    return np.array(out, dtype=float)


def known_labels(tracks: pd.DataFrame) -> dict[str, pd.Series]:
    """Return the labels the clusters are scored against (never trained on): genre and language,
    each where at least two of its values are known (one value, or none, cannot be scored)."""
    return {name: tracks[name] for name in ("genre", "language") if tracks[name].dropna().nunique() >= 2}


def number_of_clusters(tracks: pd.DataFrame, n_clusters: int | None = None) -> int:
    """Return k, checked against the data before any training: ``n_clusters``, else the number of
    genres, else (fewer than two genres known) round(sqrt(tracks / 2)), a label-free rule of thumb."""
    genres = tracks["genre"].dropna().nunique()
    k = n_clusters or (genres if genres >= 2 else max(2, round((len(tracks) / 2) ** 0.5)))
    if not n_clusters and genres < 2:
        print(f"{genres} genre label(s) known: k = {k} (sqrt(tracks / 2)); genre scores are not available")
    if len(tracks) < max(k, 5):
        raise ValueError(f"{len(tracks)} tracks are too few for k = {k} clusters (K-Means needs at least k tracks, "
                         f"the models at least 5): add tracks" + (", or lower N_CLUSTERS" if k > 5 else ""))
    return k


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


def shared_genres(tracks: pd.DataFrame) -> list[str]:
    """Return the genres that tracks of at least two languages carry (sorted), e.g. rock in GTZAN
    and in BanglaBeats: on those, a clustering can follow genre or the collection."""
    known = tracks.dropna(subset=["genre", "language"])
    per_genre = known.groupby("genre")["language"].nunique()
    return sorted(per_genre[per_genre >= 2].index)
