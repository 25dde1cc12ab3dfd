"""Shipped model files: where they live, how they are versioned, loaded and checked.

``models/manifest.json`` records, for each file, its format version, the data and
parameters it was trained with and its scores; loading refuses a file whose format
version this code does not know (``ModelError``) instead of failing later in odd ways.
"""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path
from typing import Any

from bot.errors import ModelError

__all__ = ["FORMAT_VERSION", "MODEL_DIR", "load_artifact", "read_manifest", "save_artifact"]

MODEL_DIR = Path(__file__).resolve().parent / "models"
FORMAT_VERSION = 1


def read_manifest(directory: Path = MODEL_DIR) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.exists():
        return {"format": FORMAT_VERSION, "models": {}}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable manifest: {exc}") from exc


def load_artifact(name: str, directory: Path = MODEL_DIR) -> Any:
    """Load ``models/<name>.pkl`` after checking the manifest says it is a compatible version.

    Plain pickle (protocol 5, which ``joblib.load`` also reads): the C unpickler loads the
    large vocabularies several times faster than joblib's Python one."""
    meta = read_manifest(directory).get("models", {}).get(name)
    path = directory / f"{name}.pkl"
    if meta is None or not path.exists():
        raise ModelError(f"model {name!r} is missing from {directory}; run `signals train --data DIR`")
    if meta.get("format") != FORMAT_VERSION:
        raise ModelError(f"model {name!r} has format {meta.get('format')}, this code reads {FORMAT_VERSION}; retrain")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn version-mismatch warnings: the format check above decides
            with path.open("rb") as f:
                return pickle.load(f)
    except Exception as exc:
        raise ModelError(f"{path}: cannot load: {exc}") from exc


def save_artifact(name: str, obj: Any, meta: dict[str, Any], directory: Path = MODEL_DIR) -> Path:
    """Write the model file and its manifest entry (format, data, params, scores, size)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.pkl"
    old = directory / f"{name}.joblib"
    if old.exists():
        old.unlink()
    with path.open("wb") as f:
        pickle.dump(obj, f, protocol=5)
    manifest = read_manifest(directory)
    manifest["format"] = FORMAT_VERSION
    manifest.setdefault("models", {})[name] = {"format": FORMAT_VERSION, "file": path.name,
                                               "bytes": path.stat().st_size, **meta}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
