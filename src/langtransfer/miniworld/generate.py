"""`miniworld generate`: write a MiniWorld (ground truth + every per-language file) to a run dir.

    langtransfer miniworld generate --out runs/world [--config world.yaml] [--set n_people=300]
    # Python: generate(WorldConfig.load("world.yaml"), "runs/world")

Layout (docs/miniworld.md): world.json, base_pretrain.txt and per language <lang>/pretrain.txt,
heldout.txt, heldout_unseen.txt, instructions.json, knowledge.csv, knowledge_control.csv,
knowledge_meta.jsonl, open_eval.jsonl. Every text is Unicode-normalised (`text/normalize.py`).
Same config -> byte-identical files; a finished directory is not rewritten.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langtransfer.files import write_json, write_jsonl, write_text
from langtransfer.miniworld.config import WorldConfig
from langtransfer.miniworld.corpus import (
    base_documents, heldout_documents, pretrain_documents, training_documents, unseen_documents,
)
from langtransfer.miniworld.datasets import (
    View, instruction_specs, knowledge_specs, open_eval_specs, render_instruction,
    render_knowledge, render_open_eval,
)
from langtransfer.miniworld.render import lexicon
from langtransfer.miniworld.world import HELDOUT_GROUP, World, build_world
from langtransfer.runs import open_run, read_manifest
from langtransfer.text.normalize import normalize

CSV_HEADER = ["id", "question", "A", "B", "C", "D", "answer"]


@dataclass
class GenerateResult:
    """Where the world was written and what it holds."""

    path: Path
    counts: dict[str, Any] = field(default_factory=dict)
    """file (relative to path) -> {documents, characters} or {items}."""
    skipped: bool = False
    """True when the directory was already DONE for this config (nothing was written)."""


def generate(cfg: WorldConfig, out: str | Path) -> GenerateResult:
    """Generate the world described by `cfg` into `out` (a run directory).

    Args:
        cfg: the world's config.
        out: run directory; an existing DONE directory with the same config hash is kept.

    Returns:
        GenerateResult with per-file counts (also in manifest.json and metrics.jsonl).
    """
    out = Path(out)
    run = open_run(out, cfg, stage="miniworld", seed=cfg.seed)
    if run is None:
        return GenerateResult(out, read_manifest(out).get("counts", {}), skipped=True)
    world = build_world(cfg)
    write_json(out / "world.json", world_record(world))
    counts: dict[str, Any] = {"people": {g: len(world.group(g))
                                         for g in [*cfg.groups, HELDOUT_GROUP]}}

    pretrain = {lang: _normal(pretrain_documents(world, cfg, lang), lang) for lang in cfg.langs}
    base, chars = base_documents(cfg, pretrain["en"], {t: pretrain[t] for t in cfg.targets})
    counts["base_pretrain.txt"] = {**_write_docs(out / "base_pretrain.txt", base),
                                   "characters_by_lang": chars}
    trained = training_documents([d for docs in pretrain.values() for d in docs] + base)
    for lang in cfg.langs:
        counts[f"{lang}/pretrain.txt"] = _write_docs(out / lang / "pretrain.txt", pretrain[lang])
        heldout, rejected = heldout_documents(world, cfg, lang, trained)
        heldout = _normal(heldout, lang)
        counts[f"{lang}/heldout.txt"] = {**_write_docs(out / lang / "heldout.txt", heldout),
                                         "duplicates_rejected": rejected}
        counts[f"{lang}/heldout_unseen.txt"] = _write_docs(
            out / lang / "heldout_unseen.txt", _normal(unseen_documents(world, cfg, lang), lang))

    instructions = instruction_specs(world, cfg)
    main = knowledge_specs(world, cfg, [cfg.knowledge_group], "knowledge")
    control_groups = [g for g in cfg.groups if g != cfg.knowledge_group]
    control = knowledge_specs(world, cfg, control_groups, "control")
    questions = open_eval_specs(world, cfg)
    for lang in cfg.langs:
        view = View(world, lang)
        rows = _normal([render_instruction(view, s) for s in instructions], lang)
        # Alpaca key order (instruction, input, output) kept: write_json would sort keys.
        write_text(out / lang / "instructions.json",
                   json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        counts[f"{lang}/instructions.json"] = {"items": len(rows)}
        counts.update(_write_knowledge(out / lang, view, main, control))
        items = _normal(render_open_eval(view, questions), lang)
        write_jsonl(out / lang / "open_eval.jsonl", items)
        counts[f"{lang}/open_eval.jsonl"] = {"items": len(items)}

    for name, record in counts.items():
        if name != "people":
            run.log(file=name, **record)
    run.finish(counts=counts)
    return GenerateResult(out, counts)


def world_record(world: World) -> dict[str, Any]:
    """What world.json holds: the ground truth plus {lang: {kind: {id: string}}}."""
    return {**world.to_dict(), "lexicon": {lang: lexicon(world, lang) for lang in world.langs}}


def _normal(data: Any, lang: str) -> Any:
    """`data` (strings in lists / dicts) with every string passed through `text.normalize`.
    Renderer data are already normal (`check_renderer`), so this changes nothing; it keeps the
    files normal should a renderer ever slip."""
    if isinstance(data, str):
        return normalize(data, lang)
    if isinstance(data, list):
        return [_normal(x, lang) for x in data]
    if isinstance(data, dict):
        return {k: _normal(v, lang) for k, v in data.items()}
    return data


def _write_docs(path: Path, docs: list[str]) -> dict[str, int]:
    """One document per line; returns {documents, characters}."""
    assert all("\n" not in d for d in docs), "a document must be one line"
    write_text(path, "".join(d + "\n" for d in docs))
    return {"documents": len(docs), "characters": sum(len(d) for d in docs)}


def _write_knowledge(folder: Path, view: View, main: list[dict], control: list[dict]) -> dict:
    """knowledge.csv, knowledge_control.csv (C-Eval layout) and knowledge_meta.jsonl."""
    rows, meta = render_knowledge(view, main, "know", "knowledge")
    crows, cmeta = render_knowledge(view, control, "ctrl", "knowledge_control")
    rows, crows = _normal(rows, view.lang), _normal(crows, view.lang)
    for name, table in (("knowledge.csv", rows), ("knowledge_control.csv", crows)):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(table)
        write_text(folder / name, buf.getvalue())
    write_jsonl(folder / "knowledge_meta.jsonl", meta + cmeta)
    lang = view.lang
    return {f"{lang}/knowledge.csv": {"items": len(rows)},
            f"{lang}/knowledge_control.csv": {"items": len(crows)}}
