"""generate(): byte-identical output, exact layout, facts right, and no group leaks."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from langtransfer.files import sha256_tree
from langtransfer.miniworld.corpus import (
    heldout_documents, pretrain_documents, training_documents, visible_people,
)
from langtransfer.miniworld.datasets import instruction_specs
from langtransfer.miniworld.generate import CSV_HEADER, generate
from langtransfer.miniworld.render import PARALLEL_SEP, all_name_forms, surname_entity
from langtransfer.miniworld.world import ATTRIBUTE_KIND, HELDOUT_GROUP, World, build_world
from langtransfer.runs import is_done, read_manifest, read_metrics

PER_LANG = ("pretrain.txt", "heldout.txt", "heldout_unseen.txt", "instructions.json",
            "knowledge.csv", "knowledge_control.csv", "knowledge_meta.jsonl", "open_eval.jsonl")


def _data_files(root: Path) -> dict[str, bytes]:
    """Every generated data file (the run bookkeeping holds times and argv)."""
    names = ["world.json", "base_pretrain.txt"] + [f"{l}/{f}" for l in ("en", "zh")
                                                   for f in PER_LANG]
    return {n: (root / n).read_bytes() for n in names}


def _load(world_dir: Path) -> tuple[World, dict]:
    data = json.loads((world_dir / "world.json").read_text(encoding="utf-8"))
    return World.from_dict(data), data


def _names(world: World, group: str) -> list[str]:
    """Every written form (full and family name, latin and native) of a group's people."""
    forms = []
    for p in world.group(group):
        forms += all_name_forms(p, world.langs) + all_name_forms(surname_entity(p), world.langs)
    return forms


def _read(world_dir: Path, name: str) -> str:
    return (world_dir / name).read_text(encoding="utf-8")


def _contains_name(text: str, name: str) -> bool:
    if re.search(r"[A-Za-z]", name):
        return re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", text) is not None
    return name in text


def test_same_seed_byte_identical_other_seed_differs(tmp_path, small_cfg, world_dir):
    generate(small_cfg, tmp_path / "again")
    assert _data_files(tmp_path / "again") == _data_files(world_dir)
    generate(small_cfg.with_updates({"seed": 7}), tmp_path / "other")
    other = _data_files(tmp_path / "other")
    assert all(other[n] != b for n, b in _data_files(world_dir).items())


def test_layout_manifest_and_skip(tmp_path, small_cfg, world_dir):
    for lang in ("en", "zh"):
        for name in PER_LANG:
            assert (world_dir / lang / name).is_file()
    assert is_done(world_dir, small_cfg.config_hash())
    manifest = read_manifest(world_dir)
    assert manifest["stage"] == "miniworld"
    assert manifest["counts"]["zh/knowledge.csv"] == {"items": 40}
    logged = {r["file"] for r in read_metrics(world_dir)}
    assert {"base_pretrain.txt", "zh/pretrain.txt", "en/open_eval.jsonl"} <= logged
    before = sha256_tree(world_dir)
    again = generate(small_cfg, world_dir)
    assert again.skipped and again.counts == manifest["counts"]
    assert sha256_tree(world_dir) == before


def test_documents_state_only_true_facts_in_both_languages(world_dir):
    """Every pretraining and held-out document naming a person states that person's true
    values."""
    world, data = _load(world_dir)
    for lang in ("en", "zh"):
        lex = data["lexicon"][lang]
        docs = _read(world_dir, f"{lang}/pretrain.txt").splitlines()
        docs = [d.split(PARALLEL_SEP)[0] for d in docs]
        docs += _read(world_dir, f"{lang}/heldout.txt").splitlines()
        checked = 0
        for p in world.people:
            mine = [d for d in docs if _contains_name(d, lex["person"][p.id])]
            for doc in mine:
                assert f"{p.birth_year}" in doc and lex["city"][p.birth_city] in doc
                assert lex["occupation"][p.occupation] in doc and lex["hobby"][p.hobby] in doc
                assert lex["company"][p.employer] in doc
                others = [c for cid, c in lex["city"].items() if cid != p.birth_city]
                assert not any(_contains_name(doc, c) for c in others)
                checked += 1
        assert checked >= 3 * 27  # (shared + one-language group) x mentions_per_fact


def test_groups_stay_in_their_languages(world_dir):
    world, _ = _load(world_dir)
    zh_pretrain = _read(world_dir, "zh/pretrain.txt")
    en_pretrain = _read(world_dir, "en/pretrain.txt")
    base = _read(world_dir, "base_pretrain.txt")
    instructions = _read(world_dir, "en/instructions.json") + _read(world_dir, "zh/instructions.json")
    en_heldout, zh_heldout = (_read(world_dir, f"{lang}/heldout.txt") for lang in ("en", "zh"))
    unseen_text = "".join(_read(world_dir, f"{lang}/heldout_unseen.txt") for lang in ("en", "zh"))
    base_target = "\n".join(d for d in base.splitlines() if re.search(r"[\u4e00-\u9fff]", d))
    assert base_target  # the base corpus does hold some Chinese
    for name in _names(world, "en_only"):
        for text in (zh_pretrain, base_target, instructions, zh_heldout, unseen_text):
            assert not _contains_name(text, name), name
        assert _contains_name(en_pretrain, name) or " " not in name
    for name in _names(world, "target_only"):
        english_side = en_pretrain + "".join(
            line.split(PARALLEL_SEP)[1] for line in zh_pretrain.splitlines()
            if PARALLEL_SEP in line)
        for text in (english_side, instructions, en_heldout, unseen_text):
            assert not _contains_name(text, name), name
    for name in _names(world, "unseen"):
        for text in (en_pretrain, zh_pretrain, base, instructions, en_heldout, zh_heldout,
                     unseen_text):
            assert not _contains_name(text, name), name
    for name in _names(world, HELDOUT_GROUP):
        for text in (en_pretrain, zh_pretrain, base, instructions, en_heldout, zh_heldout):
            assert not _contains_name(text, name), name


def test_base_corpus_mix_and_parallel_share(world_dir, small_cfg):
    counts = read_manifest(world_dir)["counts"]
    chars = counts["base_pretrain.txt"]["characters_by_lang"]
    assert chars["en"] == counts["en/pretrain.txt"]["characters"]
    share = chars["zh"] / (chars["en"] + chars["zh"])
    assert abs(share - small_cfg.target_share_in_base) < 0.01
    zh_docs = _read(world_dir, "zh/pretrain.txt").splitlines()
    parallel = sum(PARALLEL_SEP in d for d in zh_docs)
    assert parallel == round(small_cfg.parallel_share * len(zh_docs))
    assert not any(PARALLEL_SEP in d for d in _read(world_dir, "en/pretrain.txt").splitlines())
    pretrain = set(zh_docs) | set(_read(world_dir, "en/pretrain.txt").splitlines())
    assert set(_read(world_dir, "base_pretrain.txt").splitlines()) <= pretrain


def test_heldout_is_fresh_in_distribution_text(world_dir):
    """heldout.txt: n_heldout distinct documents, none identical to any document a model trains
    on (any pretrain.txt line or half of a parallel pair, any base_pretrain.txt line), about the
    people visible in that language and about places, like pretrain.txt."""
    world, data = _load(world_dir)
    lines = _read(world_dir, "base_pretrain.txt").splitlines()
    for lang in ("en", "zh"):
        lines += _read(world_dir, f"{lang}/pretrain.txt").splitlines()
    trained = training_documents(lines)
    assert any(PARALLEL_SEP in line for line in lines) and len(trained) > len(set(lines))
    counts = read_manifest(world_dir)["counts"]
    for lang in ("en", "zh"):
        heldout = _read(world_dir, f"{lang}/heldout.txt").splitlines()
        assert len(heldout) == len(set(heldout)) == 20
        assert not set(heldout) & trained
        assert not any(PARALLEL_SEP in d for d in heldout)
        lex = data["lexicon"][lang]
        named = {p.group for p in world.people for d in heldout
                 if _contains_name(d, lex["person"][p.id])}
        visible = {"en": {"shared", "en_only"}, "zh": {"shared", "target_only"}}[lang]
        assert named and named <= visible
        places = [d for d in heldout if not any(_contains_name(d, lex["person"][p.id])
                                                for p in world.people)]
        assert places, "place documents belong to the pretraining mix too"
        assert counts[f"{lang}/heldout.txt"]["documents"] == 20
        assert isinstance(counts[f"{lang}/heldout.txt"]["duplicates_rejected"], int)


def test_heldout_dedupe_rejects_training_documents(small_cfg):
    """Place documents have few renderings, so with many place mentions fresh draws often
    repeat a training document: they are rejected, and the held-out text stays disjoint."""
    cfg = small_cfg.with_updates({"place_mentions": 12, "n_heldout": 60})
    world = build_world(cfg)
    for lang in ("en", "zh"):
        trained = training_documents(pretrain_documents(world, cfg, lang))
        docs, rejected = heldout_documents(world, cfg, lang, trained)
        assert rejected > 0
        assert len(docs) == len(set(docs)) == 60 and not set(docs) & trained
        again, _ = heldout_documents(world, cfg, lang, trained)
        assert again == docs  # deterministic
        undeduped, none = heldout_documents(world, cfg, lang, set())
        assert none < rejected and set(undeduped) & trained  # the check is what keeps them out


def test_heldout_unseen_describes_only_the_heldout_pool(world_dir, small_cfg):
    world, data = _load(world_dir)
    pool = world.group(HELDOUT_GROUP)
    for lang in ("en", "zh"):
        docs = _read(world_dir, f"{lang}/heldout_unseen.txt").splitlines()
        assert len(docs) == 20
        lex = data["lexicon"][lang]
        for doc in docs:
            about = [p for p in world.people if _contains_name(doc, lex["person"][p.id])]
            assert about and all(p in pool for p in about)
        visible = {p.id for p in visible_people(world, small_cfg, lang)}
        assert visible and not visible & {p.id for p in pool}


def test_knowledge_csv_layout_and_answers_correct(world_dir):
    world, data = _load(world_dir)
    for lang in ("en", "zh"):
        lex = data["lexicon"][lang]
        meta = {m["id"]: m for m in map(json.loads, _read(world_dir, f"{lang}/knowledge_meta.jsonl")
                                         .splitlines())}
        for name, file in (("knowledge.csv", "knowledge"), ("knowledge_control.csv",
                                                            "knowledge_control")):
            text = _read(world_dir, f"{lang}/{name}")
            assert text.splitlines()[0] == ",".join(CSV_HEADER)
            rows = list(csv.DictReader(text.splitlines()))
            letters = Counter(r["answer"] for r in rows)
            assert set(letters) == set("ABCD") and max(letters.values()) - min(letters.values()) <= 1
            for row in rows:
                m = meta[row["id"]]
                assert m["file"] == file and row["id"].startswith(f"{lang}-")
                assert row["question"].count("____") == 1
                options = [row[k] for k in "ABCD"]
                assert len(set(options)) == 4
                person = world.by_id[m["person"]]
                assert _contains_name(row["question"], lex["person"][person.id])
                truth = person.value(m["attribute"])
                kind = ATTRIBUTE_KIND[m["attribute"]]
                expected = str(truth) if kind == "year" else lex[kind][truth]
                assert expected in row[row["answer"]]
                assert m["name_form"] == person.name_form[lang] and m["group"] == person.group
        groups = Counter(m["group"] for m in meta.values())
        assert groups["en_only"] == 40 and {"shared", "target_only", "unseen"} <= set(groups)


def test_knowledge_items_parallel_across_languages(world_dir):
    en = list(csv.DictReader(_read(world_dir, "en/knowledge.csv").splitlines()))
    zh = list(csv.DictReader(_read(world_dir, "zh/knowledge.csv").splitlines()))
    assert [r["answer"] for r in en] == [r["answer"] for r in zh]
    en_meta = [json.loads(x)["person"] for x in _read(world_dir, "en/knowledge_meta.jsonl").split("\n") if x]
    zh_meta = [json.loads(x)["person"] for x in _read(world_dir, "zh/knowledge_meta.jsonl").split("\n") if x]
    assert en_meta == zh_meta


def test_instructions_and_open_eval(world_dir, small_cfg):
    world, _ = _load(world_dir)
    for lang in ("en", "zh"):
        rows = json.loads(_read(world_dir, f"{lang}/instructions.json"))
        assert len(rows) == small_cfg.n_instructions
        assert all(list(r) == ["instruction", "input", "output"] and r["output"] for r in rows)
        rewrites = [r for r in rows if r["input"]]  # rewrite tasks carry an input sentence
        assert rewrites and all(r["input"] != r["output"] for r in rewrites)
        items = [json.loads(x) for x in _read(world_dir, f"{lang}/open_eval.jsonl").splitlines()]
        assert len(items) == small_cfg.n_open_eval
        assert {i["category"] for i in items} == {"fact", "profile", "compare"}
        assert {i["group"] for i in items} == {"en_only", "target_only"}
        for item in items:
            assert set(item) == {"id", "lang", "category", "group", "question", "reference",
                                 "facts"}
            for fact in item["facts"]:
                person = world.by_id[fact["person"]]
                assert person.group == item["group"]
                assert person.value(fact["attribute"]) == fact["value_id"]
            if item["category"] == "compare":
                assert len(item["facts"]) == 2


def test_smaller_instruction_sets_are_prefixes(small_cfg):
    world = build_world(small_cfg)
    full = instruction_specs(world, small_cfg)
    small = instruction_specs(world, small_cfg.with_updates({"n_instructions": 50}))
    assert small == full[:50]
    kinds = Counter(s["kind"] for s in full)
    assert set(kinds) == {"fact", "profile", "compare", "rewrite", "place"}
