"""The run-directory contract every stage follows.

A run directory holds:
  config.yaml     the resolved config (what produced this run)
  manifest.json   run id, config hash, git sha, package versions, seed, input hashes, wall time
  metrics.jsonl   one JSON object per measurement (appended, fsync'd)
  DONE            written last; holds the config hash. A directory without it is unfinished.

`open_run` decides between skip (DONE with the same hash), resume (same hash, no DONE) and
fresh start (anything else: stale files are removed so nothing half-written is mistaken for a
result). Writes are atomic (langtransfer.files).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langtransfer.files import append_jsonl, read_jsonl, sha256_tree, write_json, write_text

DONE = "DONE"
PACKAGES = (
    "langtransfer", "torch", "transformers", "tokenizers", "sentencepiece", "peft",
    "accelerate", "datasets", "safetensors", "numpy",
)


@dataclass
class Run:
    """A handle on one run directory."""

    path: Path
    config_hash: str
    stage: str
    started: float = field(default_factory=time.time)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def log(self, **record: Any) -> None:
        """Append one metrics record."""
        append_jsonl(self.metrics_path, record)

    def update_manifest(self, **fields: Any) -> None:
        """Add fields to manifest.json (rewritten atomically)."""
        self.manifest.update(fields)
        write_json(self.path / "manifest.json", self.manifest)

    def finish(self, **fields: Any) -> None:
        """Record wall time and write DONE last."""
        self.update_manifest(wall_seconds=round(time.time() - self.started, 3), **fields)
        write_text(self.path / DONE, self.config_hash + "\n")


def is_done(path: str | Path, config_hash: str | None = None) -> bool:
    """True when `path` holds a DONE marker (matching `config_hash` if given)."""
    marker = Path(path) / DONE
    if not marker.is_file():
        return False
    return config_hash is None or marker.read_text().strip() == config_hash


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that decide results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def git_sha() -> str | None:
    """The langtransfer source checkout's commit, if it is one."""
    here = Path(__file__).resolve().parent
    try:
        res = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def open_run(path: str | Path, cfg: Any, stage: str, *, seed: int | None = None,
             inputs: dict[str, str | Path] | None = None, resume: bool = False) -> Run | None:
    """Create (or resume) a run directory; None when it is already DONE for this config.

    Args:
        path: the run directory.
        cfg: a BaseConfig; its resolved YAML and hash are stored.
        stage: stage name recorded in the manifest ("cpt", "sft", "eval", ...).
        seed: the seed recorded in the manifest.
        inputs: name -> file/folder whose content hash goes into the manifest.
        resume: keep existing files of an unfinished run with the same hash (checkpoints);
            otherwise an unfinished directory is cleared and started afresh.
    """
    path = Path(path)
    chash = cfg.config_hash()
    if is_done(path, chash):
        return None
    if path.exists():
        same = _stored_hash(path) == chash
        if not (resume and same):
            shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / DONE).unlink(missing_ok=True)
    write_text(path / "config.yaml", cfg.to_yaml())
    manifest = {
        "stage": stage,
        "run_id": f"{path.name}",
        "config_hash": chash,
        "seed": seed,
        "git_sha": git_sha(),
        "versions": package_versions(),
        "argv": sys.argv,
        "inputs": {k: {"path": str(v), "sha256": sha256_tree(v)} for k, v in (inputs or {}).items()},
    }
    write_json(path / "manifest.json", manifest)
    write_text(path / ".config_hash", chash + "\n")
    return Run(path=path, config_hash=chash, stage=stage, manifest=manifest)


def _stored_hash(path: Path) -> str | None:
    f = path / ".config_hash"
    return f.read_text().strip() if f.is_file() else None


def read_metrics(path: str | Path) -> list[dict]:
    """All metrics records of a run (a crash-truncated last line is dropped)."""
    f = Path(path) / "metrics.jsonl"
    return read_jsonl(f, strict=False) if f.is_file() else []


def read_manifest(path: str | Path) -> dict:
    """manifest.json of a run."""
    return json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
