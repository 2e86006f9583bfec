"""Build the embedded demo dataset: genre-styled music with English and Bangla vocals.

Every track is composed procedurally (tempo, key, chord progression, drum pattern and
instruments drawn from a genre palette that overlaps with the others), rendered with a
General MIDI SoundFont through FluidSynth, and, for most tracks, mixed with espeak-ng
speaking lyric lines with a pitch contour. Every track's lines are its own: generated from a
small template grammar per language whose slots are filled from the track's genre theme (with
probability ``LYRICS_GENRE_STRENGTH``) or from a vocabulary shared by all genres, the word
lists in ``data/demo_lyrics.csv`` (written for this project; theme lists overlap between
genres). So lyrics carry a partial genre signal, as real lyrics do, never a copy of the label.
Language is assigned in equal shares inside every genre, so it is independent of genre;
all clips of a preset have the same length, so it is independent of length too.

Deterministic: each track has its own RNG seeded from ``crc32(preset, genre, index)``,
so building twice, or with any number of workers, gives byte-identical files.

Usage::

    python data/make_demo.py --preset full    # 10 genres x 20 tracks x 30 s (main job)
    python data/make_demo.py --preset tiny    #  4 genres x  6 tracks x 10 s (tests)

Output: ``data/demo/<preset>/audio/<genre>/<track_id>.wav`` (22.05 kHz mono, 16-bit) and
``data/demo/<preset>/metadata.csv`` (genre, language, the exact lyric lines sung, and
every random choice).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import re
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

HERE = Path(__file__).resolve().parent
SR = 22050
LYRICS_CSV = HERE / "demo_lyrics.csv"
GENRES_ALL = ["blues", "classical", "country", "disco", "hiphop",
              "jazz", "metal", "pop", "reggae", "rock"]
PRESETS = {
    "full": dict(genres=GENRES_ALL, n_per_genre=20, duration=30.0),
    "tiny": dict(genres=["classical", "disco", "metal", "reggae"], n_per_genre=6, duration=10.0),
}
LANGUAGE_SHARES = {"en": 0.4, "bn": 0.4, "instrumental": 0.2}
SOUNDFONT_CHOICES = {  # name -> probability
    "FluidR3_GM": 0.6,
    "TimGM6mb": 0.4,
}

# ----------------------------------------------------------------------------- palettes
# Drum patterns: GM drum note -> 16 steps per bar ('x' accent, 'o' soft, '.' rest).
KICK, RIM, SNARE, CHH, PHH, OHH, CRASH, RIDE = 36, 37, 38, 42, 44, 46, 49, 51
DRUMS = {
    "rock":    {KICK: "x.......x.x.....", SNARE: "....x.......x...", CHH: "x.x.x.x.x.x.x.x."},
    "pop":     {KICK: "x.....x.x.......", SNARE: "....x.......x...", CHH: "xoxoxoxoxoxoxoxo"},
    "metal":   {KICK: "xxxxxxxxxxxxxxxx", SNARE: "....x.......x...", CRASH: "x.......x......."},
    "disco":   {KICK: "x...x...x...x...", SNARE: "....x.......x...", CHH: "x...x...x...x...",
                OHH: "..x...x...x...x."},
    "hiphop":  {KICK: "x......x..x.....", SNARE: "....x.......x...", CHH: "x.x.x.x.x.x.x.x."},
    "jazz":    {RIDE: "x...x.x.x...x.x.", PHH: "....x.......x...", KICK: "o.......o......."},
    "shuffle": {KICK: "x.......x.......", SNARE: "....x.......x...", CHH: "x.x.x.x.x.x.x.x."},
    "train":   {KICK: "x.......x.......", SNARE: "o.xoo.xoo.xoo.xo", CHH: "x.x.x.x.x.x.x.x."},
    "onedrop": {KICK: "........x.......", RIM: "........x.......", CHH: "..x...x...x...x."},
}
# Chord progressions: one chord a bar, (semitones above the key, quality).
def P(*chords: str) -> list[tuple[int, str]]:
    """Parse chords written as 'semitones:quality'."""
    return [(int(c.split(":")[0]), c.split(":")[1]) for c in chords]



GENRES = {
    "blues": dict(tempo=(70, 115), swing=0.62, drums=["shuffle", "jazz"], bass=["walking", "rootfifth"],
                  comp=[25, 0, 16], comp_style=["strum", "comp"], lead=[22, 26, 65],
                  scale=[0, 3, 5, 6, 7, 10], lead_density=0.45,
                  progs=[P("0:7", "0:7", "0:7", "0:7", "5:7", "5:7", "0:7", "0:7",
                           "7:7", "5:7", "0:7", "7:7"),
                         P("0:m7", "0:m7", "5:m7", "0:m7", "8:7", "7:7", "0:m7", "7:7")]),
    "classical": dict(tempo=(60, 105), swing=0.5, drums=[None], bass=["sustained"],
                      comp=[48, 0, 46], comp_style=["arpeggio", "sustained"], lead=[40, 73, 68, 71],
                      scale=[0, 2, 4, 5, 7, 9, 11], lead_density=0.55,
                      progs=[P("0:maj", "5:maj", "7:maj", "0:maj"),
                             P("0:maj", "9:min", "5:maj", "7:7"),
                             P("0:min", "5:min", "7:7", "0:min")]),
    "country": dict(tempo=(90, 135), swing=0.5, drums=["train", "rock"], bass=["rootfifth"],
                    comp=[25, 105, 24], comp_style=["strum"], lead=[110, 22, 25],
                    scale=[0, 2, 4, 7, 9], lead_density=0.5,
                    progs=[P("0:maj", "0:maj", "5:maj", "0:maj", "7:maj", "7:maj", "0:maj", "0:maj"),
                           P("0:maj", "5:maj", "7:maj", "0:maj")]),
    "disco": dict(tempo=(110, 132), swing=0.5, drums=["disco"], bass=["octave"],
                  comp=[48, 4, 27], comp_style=["stabs", "sustained"], lead=[62, 61, 80],
                  scale=[0, 2, 3, 5, 7, 9, 10], lead_density=0.5,
                  progs=[P("0:m7", "5:m7"), P("0:maj7", "9:m7", "2:m7", "7:7")]),
    "hiphop": dict(tempo=(78, 100), swing=0.56, drums=["hiphop"], bass=["sub"],
                   comp=[4, 0, 89], comp_style=["sustained", "stabs"], lead=[11, 80, 4],
                   scale=[0, 3, 5, 7, 10], lead_density=0.3,
                   progs=[P("0:m7", "8:maj7"), P("0:min", "5:min", "8:maj", "7:min")]),
    "jazz": dict(tempo=(95, 170), swing=0.66, drums=["jazz"], bass=["walking"],
                 comp=[0, 26], comp_style=["comp"], lead=[65, 66, 56, 11],
                 scale=[0, 2, 4, 5, 7, 9, 10, 11], lead_density=0.6,
                 progs=[P("2:m7", "7:7", "0:maj7", "0:maj7"), P("0:maj7", "9:7", "2:m7", "7:7")]),
    "metal": dict(tempo=(100, 180), swing=0.5, drums=["metal", "rock"], bass=["eighths"],
                  comp=[30, 29], comp_style=["power"], lead=[30, 81],
                  scale=[0, 2, 3, 5, 7, 8, 10], lead_density=0.55,
                  progs=[P("0:5", "8:5", "10:5", "0:5"), P("0:5", "1:5", "0:5", "3:5")]),
    "pop": dict(tempo=(95, 128), swing=0.5, drums=["pop", "rock"], bass=["eighths", "rootfifth"],
                comp=[0, 4, 27, 89], comp_style=["sustained", "strum", "arpeggio"], lead=[80, 73, 11],
                scale=[0, 2, 4, 7, 9], lead_density=0.45,
                progs=[P("0:maj", "7:maj", "9:min", "5:maj"), P("9:min", "5:maj", "0:maj", "7:maj")]),
    "reggae": dict(tempo=(65, 92), swing=0.52, drums=["onedrop"], bass=["reggae"],
                   comp=[27, 16], comp_style=["skank"], lead=[56, 4, 21],
                   scale=[0, 2, 4, 7, 9], lead_density=0.35,
                   progs=[P("0:maj", "5:maj"), P("0:min", "5:min"), P("0:maj", "7:maj", "5:maj", "7:maj")]),
    "rock": dict(tempo=(100, 150), swing=0.5, drums=["rock", "pop"], bass=["eighths"],
                 comp=[29, 30, 27], comp_style=["power", "strum"], lead=[29, 27],
                 scale=[0, 3, 5, 7, 10], lead_density=0.45,
                 progs=[P("0:maj", "10:maj", "5:maj", "0:maj"), P("0:5", "5:5", "7:5", "5:5"),
                        P("0:maj", "5:maj", "7:maj", "5:maj")]),
}
SHARED_POOL = [0, 4, 24, 27, 48, 73, 89]   # instruments any genre may draw
SHARED_SHARE = 0.3                          # share of parts drawn from the shared pool
BASS_PROGRAMS = [32, 33, 34, 38]
CHORDS = {"maj": [0, 4, 7], "min": [0, 3, 7], "7": [0, 4, 7, 10], "m7": [0, 3, 7, 10],
          "maj7": [0, 4, 7, 11], "5": [0, 7, 12]}
VOICES = ["+m1", "+m3", "+f2", "+f4"]

# ----------------------------------------------------------------------------- lyrics
# How strongly genre colours the lyrics: the probability that a slot of a line template takes a
# word of the track's genre theme rather than of the shared vocabulary. Chosen so that K-Means on
# the lyrics embedding alone finds genre only partly within each language (the medium notebook
# measures it: results/medium/lyrics_signal.csv), as with real lyrics.
LYRICS_GENRE_STRENGTH = 0.25
N_CANDIDATE_LINES = 12          # lines written per vocal track; as many as fit in the clip are sung
TEMPLATES = {
    "en": ["I {verb} the {adj} {noun} tonight", "we {verb} all night in {place}",
           "my {noun} is {adj} and my {noun} is {adj}", "you {verb} my {noun} in {place}",
           "{adj} {noun} and {adj} {noun}", "take me to {place} where we {verb}",
           "every {noun} makes me {verb}", "oh {adj} {noun}, {verb} with me"],
    "bn": ["আমি {place} {verb}", "{adj} {noun} আমার মনে", "তুমি আর আমি {place} {verb}", "আজ রাতে {adj} {noun}",
           "{noun} আর {noun}, {adj} {noun}", "আমরা {place} {verb}", "আমার {noun} {adj}", "ও {adj} {noun}, {noun} আমার"],
}
ESPEAK_VOICE = {"en": "en-us", "bn": "bn"}


# ----------------------------------------------------------------------------- helpers
def track_seed(preset: str, genre: str, index: int) -> int:
    """Return the per-track seed: crc32 of preset, genre and index (never Python's hash)."""
    return zlib.crc32(f"demo/{preset}/{genre}/{index}".encode())


def find_soundfonts() -> dict[str, Path]:
    """Return the available SoundFonts by name; exit with the install command if one is missing."""
    import pretty_midi

    fonts = {"TimGM6mb": Path(pretty_midi.__file__).parent / "TimGM6mb.sf2",
             "FluidR3_GM": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")}
    missing = [f"{k} ({v})" for k, v in fonts.items() if not v.exists()]
    if missing:
        sys.exit("make_demo: SoundFont missing: " + ", ".join(missing)
                 + ". Install it with: apt-get install fluid-soundfont-gm (or run `make setup`).")
    return fonts


def check_tools() -> None:
    """Exit with a clear message when espeak-ng or libfluidsynth is not installed."""
    if shutil.which("espeak-ng") is None:
        sys.exit("make_demo: espeak-ng not found. Install it with: apt-get install espeak-ng "
                 "(or run `make setup`).")
    try:
        import fluidsynth  # noqa: F401
    except (ImportError, OSError) as exc:
        sys.exit(f"make_demo: FluidSynth unavailable ({exc}). Install it with: "
                 "apt-get install libfluidsynth3 && pip install pyfluidsynth (or run `make setup`).")


def assign_languages(n: int, genre: str, preset: str) -> list[str]:
    """Return languages for a genre's n tracks: the same counts in every genre, shuffled."""
    n_instr = int(round(n * LANGUAGE_SHARES["instrumental"]))
    n_en = (n - n_instr) // 2
    langs = ["en"] * n_en + ["bn"] * (n - n_instr - n_en) + ["instrumental"] * n_instr
    rng = np.random.default_rng(zlib.crc32(f"lang/{preset}/{genre}".encode()))
    return [langs[i] for i in rng.permutation(n)]


# ----------------------------------------------------------------------------- composition
def compose(rng: np.random.Generator, genre: str, duration: float) -> tuple[list, dict]:
    """Return (note events, choices) for one track: events are (time_s, channel, note, velocity, length_s)."""
    pal = GENRES[genre]

    def pick_program(options):
        return int(rng.choice(SHARED_POOL) if rng.random() < SHARED_SHARE else rng.choice(options))

    tempo = float(rng.uniform(*pal["tempo"]))
    key = int(rng.integers(0, 12))
    prog = pal["progs"][int(rng.integers(len(pal["progs"])))]
    # the genre's own drum style three times in four; its alternative otherwise
    drum_style = pal["drums"][0] if len(pal["drums"]) == 1 or rng.random() < 0.75 else pal["drums"][1]
    bass_style = str(rng.choice(pal["bass"]))
    comp_style = str(rng.choice(pal["comp_style"]))
    programs = {"bass": int(rng.choice(BASS_PROGRAMS)) if rng.random() < SHARED_SHARE
                else int(rng.choice([42, 32] if genre == "classical" else BASS_PROGRAMS)),
                "comp": pick_program(pal["comp"]), "lead": pick_program(pal["lead"])}
    has_lead = bool(rng.random() < 0.75)
    swing = pal["swing"]
    step = 60.0 / tempo / 4                      # a 16th note
    bar = 16 * step
    n_bars = int(np.ceil(duration / bar)) + 1
    events = []

    def at(bar_i, s16):
        """Time of a 16th step with swing on the off-beat 8ths and humanised timing."""
        beat, sub = divmod(s16, 4)
        offs = (0.0, 2 * swing, 4 * swing, 2 + 2 * swing)[sub]   # swing 0.5 = straight
        t = bar_i * bar + (beat * 4 + offs) * step
        return max(0.0, t + float(rng.normal(0, 0.008)))

    def vel(base):
        return int(np.clip(base + rng.normal(0, 10), 20, 127))

    # drums (channel 9), with random ghost notes and a crash at each 4-bar phrase
    if drum_style is not None:
        pattern = DRUMS[drum_style]
        for b in range(n_bars):
            for note, steps in pattern.items():
                for s, c in enumerate(steps):
                    if c != "." or (note == SNARE and rng.random() < 0.04):
                        base = 105 if c == "x" else 60
                        events.append((at(b, s), 9, note, vel(base), step))
            if b % 4 == 0 and drum_style not in ("jazz", "onedrop") and rng.random() < 0.6:
                events.append((at(b, 0), 9, CRASH, vel(95), step))

    root_base = 36 + key   # bass octave
    for b in range(n_bars):
        semis, quality = prog[b % len(prog)]
        chord = [root_base + semis + i for i in CHORDS[quality]]
        root = chord[0]
        # bass (channel 0)
        if bass_style == "sustained":
            events.append((at(b, 0), 0, root, vel(80), bar * 0.95))
        elif bass_style == "rootfifth":
            for s, n in zip((0, 8), (root, root + 7)):
                events.append((at(b, s), 0, n, vel(90), step * 6))
        elif bass_style == "walking":
            walk = [root, chord[1], chord[2], root + (11 if rng.random() < 0.5 else 2)]
            for q, n in enumerate(walk):
                events.append((at(b, 4 * q), 0, n, vel(85), step * 3.5))
        elif bass_style == "octave":
            for s in range(0, 16, 2):
                events.append((at(b, s), 0, root + (12 if s % 4 else 0), vel(95), step * 1.5))
        elif bass_style == "eighths":
            for s in range(0, 16, 2):
                events.append((at(b, s), 0, root, vel(95), step * 1.7))
        elif bass_style == "sub":
            for s in (0, 7, 10):
                events.append((at(b, s), 0, root - 12 if root >= 36 else root, vel(100), step * 3))
        elif bass_style == "reggae":
            for s, n in ((0, root), (6, root + 7), (10, root + 12), (12, root + 7)):
                events.append((at(b, s), 0, n, vel(95), step * 2))
        # comping (channel 1), one octave up (power chords two)
        voicing = [n + (24 if comp_style == "power" else 12) for n in chord]
        if comp_style == "sustained":
            hits = [(0, bar * 0.95)]
        elif comp_style == "strum":
            hits = [(s, step * 3.5) for s in (0, 4, 8, 12)]
        elif comp_style == "stabs":
            hits = [(s, step * 0.9) for s in (2, 6, 10, 14)]
        elif comp_style == "skank":
            hits = [(s, step * 0.8) for s in (4, 12)]
        elif comp_style == "power":
            hits = [(s, step * 1.6) for s in range(0, 16, 2)]
        elif comp_style == "comp":
            hits = [(int(s), step * 1.5) for s in np.sort(rng.choice(16, size=3, replace=False))]
        else:  # arpeggio
            hits = None
            for s in range(0, 16, 2):
                n = voicing[(s // 2) % len(voicing)]
                events.append((at(b, s), 1, n, vel(70), step * 2))
        for s, length in hits or []:
            t = at(b, s)
            for j, n in enumerate(voicing):
                events.append((t + 0.006 * j * (comp_style == "strum"), 1, n, vel(75), length))
        # lead melody (channel 2): a random walk over the genre scale
        if has_lead and b % 4 >= 2:   # answers in the second half of each phrase
            scale = pal["scale"]
            deg = int(rng.integers(len(scale)))
            for s in range(0, 16, 2):
                if rng.random() < pal["lead_density"]:
                    deg = int(np.clip(deg + rng.integers(-2, 3), 0, 2 * len(scale) - 1))
                    octv, d = divmod(deg, len(scale))
                    note = 72 + key % 12 + scale[d] + 12 * octv - 12
                    events.append((at(b, s), 2, note, vel(85), step * float(rng.choice([1.5, 2, 3]))))
    events = [e for e in events if e[0] < duration]
    choices = dict(tempo_bpm=round(tempo, 2), key=key, progression=json.dumps(prog),
                   drum_style=drum_style or "none", bass_style=bass_style, comp_style=comp_style,
                   program_bass=programs["bass"], program_comp=programs["comp"],
                   program_lead=programs["lead"] if has_lead else -1)
    return events, choices


def render(events: list, programs: dict, soundfont: Path, duration: float) -> np.ndarray:
    """Render note events with a fresh FluidSynth synthesiser; return float32 mono audio."""
    import fluidsynth

    synth = fluidsynth.Synth(gain=0.4, samplerate=float(SR))
    try:
        sfid = synth.sfload(str(soundfont))
        for ch, key in ((0, "bass"), (1, "comp"), (2, "lead")):
            if programs[key] >= 0:
                synth.program_select(ch, sfid, 0, programs[key])
        synth.program_select(9, sfid, 128, 0)
        timeline = []
        for t, ch, note, v, length in events:
            timeline.append((t, 1, ch, note, v))
            timeline.append((t + length, 0, ch, note, 0))
        timeline.sort(key=lambda e: (e[0], e[1], e[2], e[3]))
        n_total = int(round(duration * SR))
        chunks, cursor = [], 0
        for t, is_on, ch, note, v in timeline:
            pos = min(int(round(t * SR)), n_total)
            if pos > cursor:
                chunks.append(synth.get_samples(pos - cursor))
                cursor = pos
            if is_on:
                synth.noteon(ch, note, v)
            else:
                synth.noteoff(ch, note)
        if n_total > cursor:
            chunks.append(synth.get_samples(n_total - cursor))
    finally:
        synth.delete()
    stereo = np.concatenate(chunks).astype(np.float32).reshape(-1, 2) / 32768.0
    return stereo.mean(axis=1)[:n_total]


def speak(text: str, language: str, voice: str, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Speak one lyric line with espeak-ng and an SSML pitch contour; return (audio, choices)."""
    words = text.split()
    contour = np.clip(np.cumsum(rng.normal(0, 18, len(words))), -30, 50).round().astype(int)
    body = " ".join(f'<prosody pitch="{c:+d}%">{w}</prosody>' for w, c in zip(words, contour))
    pitch, speed = int(rng.integers(35, 70)), int(rng.integers(125, 165))
    ssml = f"<speak>{body}</speak>"
    out = subprocess.run(["espeak-ng", "-v", ESPEAK_VOICE[language] + voice, "-m", "-p", str(pitch),
                          "-s", str(speed), "--stdout", ssml], capture_output=True, check=True)
    import io

    audio, sr = sf.read(io.BytesIO(out.stdout), dtype="float32")
    if sr != SR:
        raise RuntimeError(f"espeak-ng returned {sr} Hz audio, expected {SR}")
    return audio, dict(pitch=pitch, speed=speed, contour=contour.tolist())


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return n samples of unit-RMS pink (1/f) noise, shaped in the frequency domain."""
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n)
    return noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)


# ----------------------------------------------------------------------------- one track
def build_track(job: dict) -> dict:
    """Compose, render, add vocals and post-process one track; write its WAV; return its metadata row."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(job["seed"])
    genre, language, duration = job["genre"], job["language"], job["duration"]
    events, choices = compose(rng, genre, duration)
    sf_name = str(rng.choice(list(SOUNDFONT_CHOICES), p=list(SOUNDFONT_CHOICES.values())))
    programs = {"bass": choices["program_bass"], "comp": choices["program_comp"],
                "lead": choices["program_lead"]}
    music = render(events, programs, Path(job["soundfonts"][sf_name]), duration)
    music_rms = float(np.sqrt(np.mean(music ** 2)) + 1e-9)

    # vocals: whole lyric lines placed one after another while they fit in the clip
    sung, lines, vocal = [], [], np.zeros_like(music)
    vocal_db = voice = None
    if language != "instrumental":
        voice = str(rng.choice(VOICES))
        vocal_db = float(rng.uniform(-12, 0))
        t = float(rng.uniform(0.3, 2.0))
        for line in job["lines"]:
            audio, line_choices = speak(line, language, voice, rng)
            start = int(t * SR)
            if start + len(audio) > len(music) - int(0.2 * SR):
                break
            vocal[start:start + len(audio)] += audio
            sung.append(line)
            lines.append(dict(start_s=round(t, 3), **line_choices))
            t += len(audio) / SR + float(rng.uniform(0.4, 1.2))
        voiced = np.abs(vocal) > 1e-4
        v_rms = float(np.sqrt(np.mean(vocal[voiced] ** 2))) if voiced.any() else 1.0
        vocal *= music_rms / v_rms * 10 ** (vocal_db / 20)
    mix = music + vocal

    # post-processing: filters, noise, gain; quantise to int16 in numpy
    hp, lp = float(rng.uniform(20, 120)), float(rng.uniform(6000, 10000))
    sos = butter(2, [hp, lp], btype="bandpass", fs=SR, output="sos")
    mix = sosfilt(sos, mix)
    snr_db = float(rng.uniform(15, 40))
    mix_rms = float(np.sqrt(np.mean(mix ** 2)) + 1e-9)
    mix = mix + pink_noise(rng, len(mix)) * mix_rms * 10 ** (-snr_db / 20)
    gain_db = float(rng.uniform(-6, 0))
    mix = mix / (np.sqrt(np.mean(mix ** 2)) + 1e-9) * 0.1 * 10 ** (gain_db / 20)
    peak = float(np.max(np.abs(mix)))
    if peak > 0.99:
        mix *= 0.99 / peak
    pcm = np.round(mix * 32767).astype(np.int16)
    out = Path(job["out_dir"]) / job["rel_path"]
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, pcm, SR, subtype="PCM_16")
    return dict(track_id=job["track_id"], path=job["rel_path"], genre=genre, language=language,
                lyrics=" / ".join(sung), n_lines=len(sung), vocal_lines=json.dumps(lines), duration_s=duration, seed=job["seed"],
                soundfont=sf_name, voice=voice or "", vocal_db=None if vocal_db is None else round(vocal_db, 2),
                highpass_hz=round(hp, 1), lowpass_hz=round(lp, 1), snr_db=round(snr_db, 2),
                gain_db=round(gain_db, 2), **choices)


# ----------------------------------------------------------------------------- dataset
def load_lyrics(path: Path = LYRICS_CSV) -> pd.DataFrame:
    """Return the lyric vocabulary table (language, theme, kind, word); theme is a genre or 'shared'."""
    table = pd.read_csv(path, encoding="utf-8")
    missing = {"language", "theme", "kind", "word"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return table


def write_lines(seed: int, genre: str, language: str, vocabulary: pd.DataFrame,
                strength: float = LYRICS_GENRE_STRENGTH, n: int = N_CANDIDATE_LINES) -> list[str]:
    """Return ``n`` lyric lines for one track: templates of ``language`` whose slots take a word of
    the genre's theme with probability ``strength``, else of the shared vocabulary. Uses its own
    random stream (from the track seed), so the music does not depend on the lyrics setting."""
    rng = np.random.default_rng([seed, 7])
    words = {key: group["word"].tolist() for key, group in vocabulary.groupby(["language", "theme", "kind"])}
    lines = []
    for _ in range(n):
        template = TEMPLATES[language][int(rng.integers(len(TEMPLATES[language])))]

        def fill(match, rng=rng):
            theme = genre if rng.random() < strength else "shared"
            pool = words[(language, theme, match.group(1))]
            return pool[int(rng.integers(len(pool)))]

        lines.append(re.sub(r"\{(\w+)\}", fill, template))
    return lines


def recipe_fingerprint(preset: str, strength: float = LYRICS_GENRE_STRENGTH) -> str:
    """Return a hash of everything a build depends on: this file, the lyric vocabulary, the
    preset and the lyrics setting. A demo folder built by another recipe is rebuilt."""
    import hashlib

    h = hashlib.sha1(Path(__file__).read_bytes())
    h.update(LYRICS_CSV.read_bytes())
    h.update(json.dumps([preset, PRESETS[preset], strength], sort_keys=True).encode())
    return h.hexdigest()


def build(preset: str = "full", out_root: Path | None = None, workers: int | None = None,
          force: bool = False, quiet: bool = False, strength: float = LYRICS_GENRE_STRENGTH) -> Path:
    """Build a preset into ``<out_root>/<preset>`` (atomically); return that folder. ``strength``:
    how strongly genre colours the lyrics (see :func:`write_lines`)."""
    from tqdm import tqdm

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    cfg = PRESETS[preset]
    out_root = Path(out_root or HERE / "demo")
    final = out_root / preset
    recipe = recipe_fingerprint(preset, strength)
    if (final / "metadata.csv").exists() and not force:
        built_by = (final / "recipe.sha1").read_text().strip() if (final / "recipe.sha1").exists() else ""
        if built_by == recipe:
            if not quiet:
                print(f"make_demo: {final} is up to date (use --force to rebuild)")
            return final
        print(f"make_demo: {final} was built by another recipe (make_demo.py, demo_lyrics.csv or the settings "
              "changed since); rebuilding it.")
    check_tools()
    fonts = find_soundfonts()
    lyrics = load_lyrics()
    out_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{preset}-", dir=out_root))
    jobs = []
    for genre in cfg["genres"]:
        for i, lang in enumerate(assign_languages(cfg["n_per_genre"], genre, preset)):
            tid = f"{genre}.{i:05d}"
            seed = track_seed(preset, genre, i)
            lines = [] if lang == "instrumental" else write_lines(seed, genre, lang, lyrics, strength)
            jobs.append(dict(track_id=tid, rel_path=f"audio/{genre}/{tid}.wav", genre=genre,
                             language=lang, duration=cfg["duration"], seed=seed,
                             lines=lines, soundfonts={k: str(v) for k, v in fonts.items()},
                             out_dir=str(tmp)))
    workers = workers or os.cpu_count() or 1
    start = time.time()
    try:
        if workers == 1:
            rows = [build_track(j) for j in tqdm(jobs, desc=f"demo:{preset}", disable=quiet)]
        else:
            # spawn, not fork: forking a process that already runs torch/OpenMP threads can deadlock
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                rows = list(tqdm(pool.map(build_track, jobs, chunksize=1), total=len(jobs),
                                 desc=f"demo:{preset} ({workers} workers)", disable=quiet))
        pd.DataFrame(rows).sort_values("track_id").to_csv(tmp / "metadata.csv", index=False)
        (tmp / "recipe.sha1").write_text(recipe + "\n")
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    if not quiet:
        print(f"make_demo: built {len(rows)} tracks in {final} in {time.time() - start:.1f} s")
    return final


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="full")
    ap.add_argument("--out", type=Path, default=None, help="output root (default data/demo)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    ap.add_argument("--force", action="store_true", help="rebuild even if it exists")
    ap.add_argument("--lyrics-genre-strength", type=float, default=LYRICS_GENRE_STRENGTH,
                    help=f"probability that a lyric slot takes a genre word (default {LYRICS_GENRE_STRENGTH})")
    args = ap.parse_args(argv)
    build(args.preset, args.out, args.workers, args.force, strength=args.lyrics_genre_strength)


if __name__ == "__main__":
    main()
