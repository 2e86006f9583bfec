"""The one list of the project's notebooks, shared by the scripts: task name -> notebook file,
and the small parameters that smoke runs (tests, ``run_real.py --quick``) pass to each."""
from __future__ import annotations

TASKS = {"easy": "01_easy.ipynb", "medium": "02_medium.ipynb", "hard": "03_hard.ipynb"}
# Few epochs, two seeds, small studies: a smoke run checks that everything runs, not the numbers.
SMOKE_PARAMETERS = {
    "01_easy.ipynb": dict(EPOCHS=8, WARMUP_EPOCHS=4, PATIENCE=2, SEEDS=[0, 1], LATENT_DIMS=[8, 16], SELECTION_SEEDS=1),
    "02_medium.ipynb": dict(EPOCHS=3, WARMUP_EPOCHS=2, PATIENCE=2, SEEDS=[0, 1], WHISPER_EVAL_TRACKS=4),
    "03_hard.ipynb": dict(EPOCHS=3, WARMUP_EPOCHS=2, PATIENCE=2, SEEDS=[0, 1], BETAS=[1.0, 16.0], SWEEP_SEEDS=2),
}


def notebook_parameters(notebook: str) -> dict:
    """Return the literal values of a notebook's ``parameters`` cell (standard library only)."""
    import ast
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "notebooks" / notebook
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    cell = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}
