"""Expand a study into arms and a DAG of stages with stable, content-addressed directories.

Stage kinds: world → base → (vocab) → cpt → sft → eval. Each stage's directory is
`<kind>/<slug>-<hash>` where the hash is that stage's resolved config hash; a downstream config
holds its upstream's directory, so any upstream change changes every downstream hash (nothing
stale is reused). A CPT model is trained once and shared by every SFT arm that starts from it;
one extended tokenizer per target language is shared by every extended arm of that language.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh --dry-run [--json]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from langtransfer.config import BaseConfig
from langtransfer.errors import ConfigError
from langtransfer.study.config import ORIGINAL, StudyConfig
from langtransfer.train.config import DataSourceConfig


@dataclass(frozen=True)
class ArmSpec:
    """What defines a CPT model of the study (the SFT sizes hang below it)."""

    lang: str
    cpt_tokens: int
    replay: float = 0.0
    vocab: str = ORIGINAL
    name: str | None = None
    start: str | None = None

    @property
    def init(self) -> str | None:
        return self.vocab.split(":", 1)[1] if self.vocab != ORIGINAL else None


@dataclass
class Stage:
    """One unit of work: a stage config and the run directory it writes."""

    kind: str
    """world | base | vocab | cpt | sft | eval"""
    slug: str
    """Readable name (e.g. cpt200k, cpt200k-sft2k)."""
    cfg: BaseConfig
    path: Path
    deps: list[str] = field(default_factory=list)
    arm: str | None = None
    """For eval stages: the arm label shown in the report."""
    tokens: int = 0
    """Training tokens (cpt) or examples × epochs (sft) — for the plan table."""
    meta: dict = field(default_factory=dict)
    """For eval stages: the arm's attributes (lang, cpt_tokens, replay, vocab, init,
    sft_examples) — written to arms.csv so reports and claims select arms by attribute."""

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.path.name}"


def short_count(n: int) -> str:
    """200000 -> '200k', 2000000 -> '2M', 500 -> '500'."""
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{suffix}"
    return str(n)


def _stage(kind: str, slug: str, cfg: BaseConfig, out: Path, deps: list[str], **kw) -> Stage:
    return Stage(kind, slug, cfg, out / kind / f"{slug}-{cfg.config_hash(8)}", deps, **kw)


def arm_specs(cfg: StudyConfig) -> list[tuple[ArmSpec, list[int]]]:
    """The grid's CPT arms (axes product), then the explicit arms, each with its SFT sizes."""
    ax = cfg.axes
    specs: list[tuple[ArmSpec, list[int]]] = []
    for lang in ax.lang:
        for tokens in ax.cpt_tokens:
            if tokens == 0:
                specs.append((ArmSpec(lang, 0), ax.sft_examples))
                continue
            specs += [(ArmSpec(lang, tokens, replay, vocab), ax.sft_examples)
                      for replay in ax.replay for vocab in ax.vocab]
    for arm in cfg.arms:
        spec = ArmSpec(arm.lang or ax.lang[0],
                       max(ax.cpt_tokens) if arm.cpt_tokens is None else arm.cpt_tokens,
                       arm.replay, arm.vocab, arm.name, arm.start)
        specs.append((spec, ax.sft_examples if arm.sft_examples is None else arm.sft_examples))
    return specs


def cpt_slug(spec: ArmSpec, multilingual: bool) -> str:
    """cpt0, cpt2M, cpt2M-en20, ext-mean-cpt2M (prefixed by the language in multi-language
    studies), or the arm's own name."""
    if spec.name:
        return spec.name
    slug = f"cpt{short_count(spec.cpt_tokens)}"
    if spec.replay:
        slug += f"-en{round(spec.replay * 100)}"
    if spec.init:
        slug = f"ext-{spec.init}-{slug}"
    return f"{spec.lang}-{slug}" if multilingual else slug


@dataclass(frozen=True)
class ModelRef:
    """A model arms start from: a stage's directory (with that stage as dependency) or, in
    real-scale studies, the pretrained model itself (no dependency)."""

    path: str
    deps: tuple[str, ...] = ()


class _Planner:
    """Builds the stage list of one study (shares world, base and vocab stages).

    MiniWorld studies start with world → base; real-scale studies (`pretrained`) start from the
    pretrained model and read each language's data from `cfg.data`."""

    def __init__(self, cfg: StudyConfig, out: Path):
        self.cfg, self.out = cfg, Path(out)
        self.multilingual = len({spec.lang for spec, _ in arm_specs(cfg)}) > 1
        self.stages: list[Stage] = []
        self.ids: dict[str, Stage] = {}
        self.world: Stage | None = None
        if cfg.pretrained is None:
            self.world = self.add("world", "world", cfg.world, [])
            base_cfg = cfg.base.with_updates({"world": str(self.world.path)})
            base = self.add("base", "base", base_cfg, [self.world.id], tokens=base_cfg.tokens)
            self.base = ModelRef(str(base.path), (base.id,))
        else:
            self.base = ModelRef(cfg.pretrained)
        self.vocab_stages: dict[str, Stage] = {}
        self.cpt_by_name: dict[str, ModelRef] = {}

    def add(self, kind: str, slug: str, cfg: BaseConfig, deps: list[str], **kw) -> Stage:
        stage = _stage(kind, slug, cfg, self.out, deps, **kw)
        if stage.id in self.ids:
            return self.ids[stage.id]  # the same work reached twice: plan it once
        self.stages.append(stage)
        self.ids[stage.id] = stage
        return stage

    # -- data of a language: MiniWorld files or the study's `data` section --------------------
    def text(self, lang: str, name: str = "pretrain.txt") -> str:
        assert self.world is not None
        return str(self.world.path / lang / name)

    def world_deps(self) -> list[str]:
        return [self.world.id] if self.world else []

    def cpt_sources(self, lang: str, fraction: float) -> list[dict]:
        """Sources of `lang` scaled to `fraction` of the CPT budget."""
        if self.world is not None:
            return [DataSourceConfig(path=self.text(lang), lang=lang, fraction=fraction).to_dict()]
        sources = self.cfg.data[lang].cpt if lang in self.cfg.data else []
        if not sources:
            raise ConfigError(f"data.{lang}.cpt: no text to continue pretraining on")
        total = sum(s.fraction or 1 / len(sources) for s in sources)
        return [s.with_updates({"lang": lang, "fraction": (s.fraction or 1 / len(sources))
                                / total * fraction}).to_dict() for s in sources]

    def heldout(self, lang: str) -> str | None:
        if self.world is not None:
            return self.text(lang, "heldout.txt")
        return self.cfg.data[lang].heldout if lang in self.cfg.data else None

    def vocab_stage(self, lang: str) -> Stage:
        if lang not in self.vocab_stages:
            if self.world is not None:
                source = {"corpus": [self.text(lang)]}
            else:
                data = self.cfg.data[lang]
                if not data.target_tokenizer and not data.vocab_corpus:
                    raise ConfigError(f"data.{lang}: an extended-vocabulary arm needs "
                                      "target_tokenizer or vocab_corpus")
                source = {"corpus": data.vocab_corpus, "target": data.target_tokenizer}
            vcfg = self.cfg.vocab_extension.with_updates({"base": self.base.path, **source})
            slug = f"vocab-{lang}" if self.multilingual else "vocab"
            self.vocab_stages[lang] = self.add("vocab", slug, vcfg,
                                               [*self.base.deps, *self.world_deps()])
        return self.vocab_stages[lang]

    def cpt(self, spec: ArmSpec, slug: str) -> ModelRef:
        data = self.cpt_sources(spec.lang, 1 - spec.replay)
        if spec.replay:
            data += self.cpt_sources("en", spec.replay)
        heldout = {lang: self.heldout(lang) for lang in ("en", spec.lang)}
        heldout = {k: v for k, v in heldout.items() if v}
        extra: dict = {}
        deps = list(self.base.deps)
        if spec.init:
            vocab = self.vocab_stage(spec.lang)
            deps.append(vocab.id)
            # same text as the original-vocabulary arm: the budget is counted with the base
            # tokenizer (the paper's C1 compares at equal data)
            extra = {"tokenizer": str(vocab.path), "init": spec.init,
                     "budget_tokenizer": self.base.path}
        ccfg = self.cfg.cpt.with_updates({
            "model": self.base.path, "data": data, "tokens": spec.cpt_tokens,
            "cache_dir": str(self.out / "cache"), "eval_every": self.cfg.retention_every,
            "eval_texts": heldout if self.cfg.retention_every else {}, **extra})
        stage = self.add("cpt", slug, ccfg, deps, tokens=spec.cpt_tokens)
        return ModelRef(str(stage.path), (stage.id,))

    def evaluate(self, model: ModelRef, arm: str, tasks: list[str], meta: dict) -> None:
        langs = ["en", meta["lang"]] if self.cfg.eval_english else [meta["lang"]]
        if self.world is not None:
            where: dict = {"world": str(self.world.path)}
        else:
            benchmarks = [b.to_dict() for lang in langs if lang in self.cfg.data
                          for b in self.cfg.data[lang].benchmarks]
            heldout = {lang: self.heldout(lang) for lang in langs if self.heldout(lang)}
            questions = {lang: self.cfg.data[lang].questions.to_dict() for lang in langs
                         if lang in self.cfg.data and self.cfg.data[lang].questions}
            tasks = [t for t in tasks if (t != "quality" or questions) and (t != "ppl" or heldout)]
            judge = self.cfg.judge.with_updates(
                {"cache_dir": self.cfg.judge.cache_dir or str(self.out / "cache" / "judge")})
            where = {"world": None, "benchmarks": benchmarks, "heldout": heldout,
                     "questions": questions, "judge": judge.to_dict()}

        ecfg = self.cfg.eval.with_updates({"model": model.path, "langs": langs, "tasks": tasks,
                                           **where})
        self.add("eval", arm, ecfg, list(model.deps), arm=arm, meta=meta)

    def sft_data(self, lang: str) -> str | list[dict]:
        if self.world is not None:
            return self.text(lang, "instructions.json")
        sources = self.cfg.data[lang].sft
        if not sources:
            raise ConfigError(f"data.{lang}.sft: no instruction data")
        return [s.with_updates({"lang": lang}).to_dict() for s in sources]

    def arm(self, spec: ArmSpec, sft_sizes: list[int]) -> None:
        """The CPT model (or the base / another arm's model), its own eval, then SFT arms."""
        slug = cpt_slug(spec, self.multilingual)
        if slug in self.cpt_by_name:
            raise ConfigError(f"two arms with the same id '{slug}' (give one a `name`)")
        if spec.start:
            if spec.start not in self.cpt_by_name:
                raise ConfigError(f"arm '{slug}' starts from '{spec.start}', which is not an "
                                  f"earlier arm (known: {', '.join(self.cpt_by_name)})")
            start = self.cpt_by_name[spec.start]
        elif spec.cpt_tokens == 0:
            start = self.base
        else:
            start = self.cpt(spec, slug)
        self.cpt_by_name[slug] = start
        meta = {"lang": spec.lang, "cpt_tokens": spec.cpt_tokens, "replay": spec.replay,
                "vocab": ORIGINAL if not spec.init else "extended", "init": spec.init or "",
                "sft_examples": 0}
        if self.cfg.sft_zero_cpt_only:
            arm_name = "base" if start is self.base and not self.multilingual else slug
            self.evaluate(start, arm_name, ["knowledge", "ppl"], meta)
        sizes = [n for n in sft_sizes if n]
        data = self.sft_data(spec.lang) if sizes else None
        for n in sizes:
            scfg = self.cfg.sft.with_updates({"model": start.path, "data": data,
                                              "examples": n, "cache_dir": str(self.out / "cache")})
            name = f"{slug}-sft{short_count(n)}"
            sft = self.add("sft", name, scfg, list(start.deps), tokens=int(n * scfg.epochs))
            self.evaluate(ModelRef(str(sft.path), (sft.id,)), name, list(self.cfg.eval.tasks),
                          {**meta, "sft_examples": n})


def plan(cfg: StudyConfig, out: Path) -> list[Stage]:
    """All stages of the study in dependency order.

    Raises:
        ConfigError: two arms with the same id, or an arm starting from a missing arm.
    """
    planner = _Planner(cfg, out)
    for spec, sizes in arm_specs(cfg):
        planner.arm(spec, sizes)
    return planner.stages


def arm_table(cfg: StudyConfig, out: Path) -> list[dict]:
    """One row per evaluated arm: its name and attributes (arms.csv)."""
    return [{"arm": st.arm, **st.meta} for st in plan(cfg, out) if st.kind == "eval"]


def plan_table(cfg: StudyConfig, out: Path) -> str:
    """A plain-text table of the planned stages (for --dry-run)."""
    rows = [f"{'stage':<40} {'depends on':<40} {'budget':>8}"]
    for st in plan(cfg, out):
        budget = f"{short_count(st.tokens)}" if st.tokens else ""
        rows.append(f"{st.id:<40} {', '.join(st.deps)[:40]:<40} {budget:>8}")
    return "\n".join(rows)


def plan_json(cfg: StudyConfig, out: Path) -> str:
    """`--dry-run --json`: {"arms": [{"id", "stages", "tokens"}], "stages": N}."""
    stages = plan(cfg, out)
    by_id = {st.id: st for st in stages}
    arms = []
    for st in stages:
        if st.kind != "eval":
            continue
        chain, todo = [], [st.id]
        while todo:  # the eval stage and everything it depends on
            sid = todo.pop()
            if sid not in chain:
                chain.append(sid)
                todo += by_id[sid].deps
        ordered = [s.id for s in stages if s.id in chain]
        tokens = {by_id[s].kind: by_id[s].tokens for s in ordered if by_id[s].tokens}
        arms.append({"id": st.arm, "stages": ordered, "tokens": tokens, **st.meta})
    return json.dumps({"arms": arms, "stages": len(stages)}, indent=2)


__all__ = ["ArmSpec", "Stage", "arm_specs", "arm_table", "plan", "plan_json", "plan_table",
           "short_count"]
