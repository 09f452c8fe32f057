"""Knowledge benchmarks as data: one YAML per benchmark under eval/tasks/, read into a spec.

    langtransfer eval knowledge --benchmark ceval --data ../shared/data/ceval --dry-run --json

A benchmark YAML names its source format (an adapter in eval.formats), its language, splits,
the k-shot source split and default k, the prompt template in the benchmark's own language,
subjects with their categories, and the chance level. Users pick benchmarks by name
(`benchmark_names()`); `load_benchmark(name)` validates the YAML (unknown keys and unknown
template placeholders are errors), and `load_items` / `load_shots` read a local release
directory (or one file, or the Hugging Face hub by name) into `MCItem`s.

Nothing here imports torch: `--dry-run` inspects a download before any model is loaded.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from langtransfer.config import BaseConfig, read_yaml
from langtransfer.errors import ConfigError, DataError, UserError
from langtransfer.eval.mc import MCItem

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
PROTOCOL_NAMES = ("letter", "option", "generate")
_PLACEHOLDERS = {
    "header": {"subject", "subject_name", "subject_zh"},
    "question": {"passage", "question", "options", "last_letter", "sub"},
    "cloze": {"passage", "question", "options", "last_letter", "sub"},
    "option": {"letter", "text"},
    "answer": {"letter"},
    "sub": {"n"},
}


class PromptTemplate(BaseConfig):
    """How an item becomes a prompt (placeholders in braces; see `_PLACEHOLDERS`)."""

    version: str
    """Recorded in every result: change the text, change the version."""
    header: str = ""
    """Once before the shots: {subject} (key, '_' as spaces), {subject_name}, {subject_zh}."""
    question: str
    """A question for the letter and generate protocols, ending with the answer cue."""
    option: str = "{letter}. {text}"
    """One listed option."""
    option_sep: str = "\n"
    """Between listed options."""
    answer: str = "{letter}"
    """What follows the cue: the letter protocol's continuation and a shot's answer."""
    shot_sep: str = "\n\n"
    """After each shot."""
    cloze: str = "{passage}{question}\n"
    """A question for the option protocol (options not listed), ending with the cue."""
    option_prefix: str = " "
    """Before an option's text under the option protocol ("" for Chinese, as no space
    separates Chinese words)."""
    sub: str = ""
    """Label of a sub-question ({n} = 1, 2, ...), filled into {sub}; "" for single questions."""
    blank_split: bool = False
    """Option protocol on a question with a `____` blank: context = text before the blank,
    continuation = option + text after it (MiniWorld's cloze formulation, eval.mc)."""

    @model_validator(mode="after")
    def _known_placeholders(self) -> "PromptTemplate":
        for name, allowed in _PLACEHOLDERS.items():
            text = getattr(self, name)
            used = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            unknown = sorted(used - allowed)
            if unknown:
                raise ValueError(f"template '{name}' uses unknown placeholder {{{unknown[0]}}} "
                                 f"(allowed: {', '.join(sorted(allowed))})")
        return self


class SubjectInfo(BaseConfig):
    """One subject's names, categories and (when it differs from the benchmark's) language."""

    name: str = ""
    """English display name."""
    name_zh: str = ""
    """Chinese display name (C-Eval / CMMLU headers use it)."""
    categories: list[str] = []
    """Category names (CMMLU puts some subjects in two: a field and "China specific")."""
    language: str | None = None
    """ISO code of this subject's questions when not the benchmark's (AGIEval mixes en, zh)."""


class HubSource(BaseConfig):
    """Where `datasets.load_dataset` finds the benchmark on the Hugging Face hub."""

    path: str
    """Dataset repository id."""
    name: str = "{subject}"
    """Config name per subject ("{subject}" = the subject key; "" = no config)."""
    splits: dict[str, str] = {}
    """Our split name -> the hub's, where they differ."""


class BenchmarkSpec(BaseConfig):
    """A benchmark as data (one eval/tasks/<name>.yaml)."""

    name: str
    description: str = ""
    source: str = ""
    """Where the data, prompt and subject table come from (cited in the YAML header)."""
    format: str
    """Adapter in eval.formats.FORMATS."""
    language: str
    """ISO code of the questions (subjects may override)."""
    splits: list[str]
    default_split: str
    fewshot_split: str | None = None
    """The split k-shot examples come from (None: the benchmark has none; k must be 0)."""
    k: int = Field(0, ge=0)
    """Default number of shots (the paper: C-Eval and MMLU 5-shot, AGIEval and GAOKAO 0)."""
    protocols: list[str] = list(PROTOCOL_NAMES)
    default_protocol: str = "letter"
    chance: float | None = None
    """Chance accuracy of the benchmark as published (None: 1/n_options per item)."""
    hub: HubSource | None = None
    template: PromptTemplate
    templates: dict[str, PromptTemplate] = {}
    """Per-language templates for subjects whose language differs from `language`."""
    categories: list[str] = []
    subjects: dict[str, SubjectInfo] = {}

    @field_validator("protocols")
    @classmethod
    def _known_protocols(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PROTOCOL_NAMES]
        if unknown:
            raise ValueError(f"unknown protocol '{unknown[0]}' (known: {', '.join(PROTOCOL_NAMES)})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "BenchmarkSpec":
        if self.default_split not in self.splits:
            raise ValueError(f"default_split '{self.default_split}' is not in splits")
        if self.fewshot_split is not None and self.fewshot_split not in self.splits:
            raise ValueError(f"fewshot_split '{self.fewshot_split}' is not in splits")
        if self.k and self.fewshot_split is None:
            raise ValueError(f"k={self.k} needs a fewshot_split")
        if self.default_protocol not in self.protocols:
            raise ValueError(f"default_protocol '{self.default_protocol}' is not in protocols")
        for subject, info in self.subjects.items():
            bad = [c for c in info.categories if c not in self.categories]
            if bad:
                raise ValueError(f"subject '{subject}': category '{bad[0]}' is not in categories")
            if info.language and info.language != self.language \
                    and info.language not in self.templates:
                raise ValueError(f"subject '{subject}': no template for language '{info.language}'")
        return self

    def subject_info(self, subject: str) -> SubjectInfo:
        """The subject's entry (an empty one for subjects the YAML does not list)."""
        return self.subjects.get(subject) or SubjectInfo()

    def subject_language(self, subject: str) -> str:
        """ISO code of a subject's questions."""
        return self.subject_info(subject).language or self.language

    def template_for(self, lang: str) -> PromptTemplate:
        """The prompt template of a language (the main one unless `templates` has it)."""
        return self.templates.get(lang, self.template) if lang != self.language else self.template

    def categories_of(self, subject: str) -> list[str]:
        """A subject's categories ([] when unlisted)."""
        return list(self.subject_info(subject).categories)

    def template_versions(self) -> str:
        """Every template version this benchmark uses, joined with '+' (recorded in results)."""
        versions = [self.template.version] + [t.version for t in self.templates.values()]
        return "+".join(dict.fromkeys(versions))


def benchmark_names() -> list[str]:
    """Names of the benchmarks shipped under eval/tasks/ (one YAML each)."""
    return sorted(p.stem for p in TASKS_DIR.glob("*.yaml"))


def load_benchmark(name: str) -> BenchmarkSpec:
    """The validated spec of a shipped benchmark.

    Raises:
        UserError: an unknown name (the message lists the known ones and the folder).
        ConfigError: a YAML that does not validate (names the file and the field).
    """
    path = TASKS_DIR / f"{name}.yaml"
    if name not in benchmark_names():  # also keeps a name like "../x" inside the folder
        raise UserError(f"--benchmark {name!r}: no such benchmark ({TASKS_DIR}/{name}.yaml not "
                        f"found; known: {', '.join(benchmark_names())})")
    spec = BenchmarkSpec.from_dict(read_yaml(path), str(path))
    if spec.name != name:
        raise ConfigError(f"{path}: field 'name': must be the file's stem '{name}'")
    from langtransfer.eval.formats import FORMATS  # the adapters import this module's types

    if spec.format not in FORMATS:
        raise ConfigError(f"{path}: field 'format': unknown format '{spec.format}' "
                          f"(known: {', '.join(sorted(FORMATS))})")
    return spec


@dataclass
class Loaded:
    """Items of one split, with what was left out and where they came from."""

    items: list[MCItem]
    split: str
    files: dict[str, str] = field(default_factory=dict)
    """subject -> file (or hub id) read."""
    skipped: dict[str, int] = field(default_factory=dict)
    """reason -> items left out (AGIEval cloze tasks have no options: "no_options")."""

    @property
    def per_subject(self) -> dict[str, int]:
        """Scored items per subject, subjects in first-seen order."""
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.subject] = counts.get(item.subject, 0) + 1
        return counts


def load_items(spec: BenchmarkSpec, data: str | Path, split: str | None = None,
               subjects: list[str] | None = None, limit: int = 0) -> Loaded:
    """Read a benchmark's items from a local release (directory or one file) or the hub.

    Args:
        spec: the benchmark.
        data: the release directory laid out as the official one, a single file of it, or
            "hub" (datasets.load_dataset on spec.hub; network or the local hub cache).
        split: one of spec.splits (None: spec.default_split; a single file implies its own).
        subjects: keep only these subjects (None: all found).
        limit: keep at most this many items per subject (0: all).

    Raises:
        UserError / DataError: an unknown split or subject, a missing path, or a malformed
            row (the message names the file and the row).
    """
    from langtransfer.eval.formats import FORMATS, load_hub

    split = _check_split(spec, split)
    if str(data) == "hub":
        loaded = load_hub(spec, split, subjects)
    else:
        adapter = FORMATS[spec.format]
        split, files = adapter.locate(Path(data), split)
        if split not in spec.splits:
            raise UserError(f"{data}: split '{split}' is not one of {spec.name}'s "
                            f"({', '.join(spec.splits)})")
        if subjects and all(s in files for s in subjects):  # one file per subject
            files = {s: files[s] for s in subjects}
        loaded = Loaded([], split, {s: str(f) for s, f in files.items()})
        for subject, path in files.items():
            items, skipped = adapter.read(path, subject, spec.subject_language(subject), split)
            loaded.items += items
            for reason, n in skipped.items():
                loaded.skipped[reason] = loaded.skipped.get(reason, 0) + n
        if subjects:  # also subjects inside a file (MiniWorld's attributes)
            found = loaded.per_subject
            missing = [s for s in subjects if s not in found]
            if missing:
                raise UserError(f"{data}: subject {missing[0]!r} not found in split '{split}' "
                                f"(found: {', '.join(sorted(found)) or 'none'})")
            loaded.items = [i for i in loaded.items if i.subject in subjects]
    if limit:
        kept: dict[str, int] = {}
        items = []
        for item in loaded.items:
            kept[item.subject] = kept.get(item.subject, 0) + 1
            if kept[item.subject] <= limit:
                items.append(item)
        loaded.items = items
    return loaded


def _check_split(spec: BenchmarkSpec, split: str | None) -> str:
    split = split or spec.default_split
    if split not in spec.splits:
        raise UserError(f"--split {split!r}: {spec.name} has splits {', '.join(spec.splits)}")
    return split


def load_shots(spec: BenchmarkSpec, data: str | Path, subjects: list[str],
               k: int) -> dict[str, list[MCItem]]:
    """The first k + 1 items of each subject's k-shot split (official scripts take the first
    k; one more lets the protocols skip an item that is itself a shot, so evaluating the dev
    split k-shot never shows an item its own answer).

    Raises:
        UserError / DataError: k > 0 on a benchmark without a k-shot split, a subject with no
            k-shot file (naming the file expected), or fewer than k rows in it.
    """
    if k <= 0:
        return {s: [] for s in subjects}
    if spec.fewshot_split is None:
        raise UserError(f"--k {k}: {spec.name} has no split to draw shots from (use --k 0)")
    from langtransfer.eval.formats import FORMATS, load_hub

    if str(data) == "hub":
        loaded = load_hub(spec, spec.fewshot_split, subjects)
        by_subject = {s: [i for i in loaded.items if i.subject == s] for s in subjects}
        where = {s: f"hub {spec.hub.path if spec.hub else ''} {s}" for s in subjects}
    else:
        adapter = FORMATS[spec.format]
        by_subject, where = {}, {}
        for subject in subjects:
            path = adapter.expected(Path(data), spec.fewshot_split, subject)
            if not path.is_file():
                raise DataError(f"{path}: not found (subject '{subject}' needs its "
                                f"{spec.fewshot_split} split for {k}-shot prompts; use --k 0)")
            by_subject[subject], _ = adapter.read(path, subject, spec.subject_language(subject),
                                                  spec.fewshot_split)
            where[subject] = str(path)
    for subject, items in by_subject.items():
        if len(items) < k:
            raise DataError(f"{where[subject]}: {len(items)} rows, fewer than k={k} shots for "
                            f"subject '{subject}' (use a smaller --k)")
    return {s: items[:k + 1] for s, items in by_subject.items()}


def render_subject(spec: BenchmarkSpec, subject: str) -> dict[str, Any]:
    """Header placeholders of a subject: {subject}, {subject_name}, {subject_zh}."""
    info = spec.subject_info(subject)
    plain = subject.replace("_", " ")
    return {"subject": plain, "subject_name": info.name or plain,
            "subject_zh": info.name_zh or info.name or plain}
