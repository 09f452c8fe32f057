"""Data source configs: where the training rows come from and how much of each source to use.

`langtransfer train cpt` reads `data:` as a list of TextSourceConfig; `langtransfer train sft`
reads `data:` as one Alpaca file path or a list of InstructionSourceConfig. The CLI imports this
module to validate configs, so it stays light (pydantic only; readers live in data.sources).

    data:
      - {path: corpora/zh/, lang: zh, fraction: 0.8}                 # every .txt/.jsonl/... inside
      - {path: corpora/en_replay.jsonl, text_field: text, lang: en, fraction: 0.2}
      - {hf: {name: MBZUAI/Bactrian-X, subset: sw, split: train}, instruction_format: bactrian_x}
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

from pydantic import Field, field_validator, model_validator

from langtransfer.config import BaseConfig

FileFormat = Literal["auto", "text", "json", "jsonl", "parquet"]


class HFDatasetConfig(BaseConfig):
    """A dataset read with `datasets.load_dataset(name, subset, split=..., streaming=...)`."""

    name: str
    """Hub name ("MBZUAI/Bactrian-X") or a builder for local files ("json", "parquet", "csv",
    "text") used together with `data_files`."""
    subset: str | None = None
    """Configuration name (Bactrian-X has one per language: "zh", "sw", ...)."""
    split: str = "train"
    """Split to read."""
    streaming: bool = False
    """Iterate the rows without preparing the whole dataset on disk first."""
    revision: str | None = None
    """Hub revision (commit or tag). The cache key holds name, subset, split and revision, so an
    unpinned hub dataset that changes upstream is not noticed: pin it."""
    data_files: list[str] | None = None
    """Local files for a builder name; their contents (not their names) key the cache."""


class _SourceConfig(BaseConfig):
    """Fields every source has: origin, file format, language and amount."""

    path: str | None = None
    """A file, or a folder whose matching files (format) are all read in sorted order."""
    hf: HFDatasetConfig | None = None
    """A Hugging Face dataset instead of `path`."""
    format: FileFormat = "auto"
    """File format of `path`: text (one document per line, blank lines skipped), json (a list of
    objects), jsonl (one object per line), parquet; auto picks by suffix (.txt, .json, .jsonl,
    .parquet) and tells a JSON list from JSON Lines by the first character."""
    lang: str = "zh"
    """ISO code of the rows' language (for per-language counts in the manifest). A `hf` source
    whose subset is a language code (Bactrian-X) defaults to that code."""
    fraction: float | None = Field(None, gt=0, le=1)
    """Share of the stage budget (tokens, samples or examples) drawn from this source; the
    fractions of a mixture sum to 1. The default when neither fraction nor samples is given
    is 1.0."""
    samples: int | None = Field(None, gt=0)
    """Instead of a fraction: exactly this many documents (CPT) or examples (SFT) from this
    source; fraction sources share what the budget leaves."""
    repeat: bool | None = None
    """Cycle through this source (a fresh seeded order each pass) when its share exceeds it.
    None: the stage's `repeat` (CPT, default true) or false (SFT)."""

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("fraction") is None and data.get("samples") is None:
            data["fraction"] = 1.0  # the single-source default (and the old schema's)
        hf = data.get("hf")
        subset = hf.get("subset") if isinstance(hf, dict) else getattr(hf, "subset", None)
        if "lang" not in data and subset is not None:
            from langtransfer.langs import LANGS

            if subset in LANGS:
                data["lang"] = subset
        return data

    @model_validator(mode="after")
    def _one_origin_one_amount(self) -> "_SourceConfig":
        if (self.path is None) == (self.hf is None):
            raise ValueError("give exactly one of path and hf")
        if self.fraction is not None and self.samples is not None:
            raise ValueError("give fraction or samples, not both")
        if self.hf is not None and self.format != "auto":
            raise ValueError("format applies to path sources (hf rows are read by datasets)")
        return self

    def describe(self) -> str:
        """The source's name in messages and manifests: its path, or hf:NAME[/SUBSET]:SPLIT."""
        if self.hf is None:
            return str(self.path)
        subset = f"/{self.hf.subset}" if self.hf.subset else ""
        return f"hf:{self.hf.name}{subset}:{self.hf.split}"


class TextSourceConfig(_SourceConfig):
    """One text source of a CPT mixture (documents for next-token training)."""

    text_field: str = "text"
    """The field holding a document in json, jsonl, parquet and hf rows."""


class InstructionSourceConfig(_SourceConfig):
    """One instruction source of an SFT mixture."""

    instruction_format: str = "alpaca"
    """Row layout, by name (langtransfer.data.formats): alpaca, belle, bactrian_x, sharegpt,
    messages."""

    @field_validator("instruction_format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        from langtransfer.data.formats import FORMATS

        if name not in FORMATS:
            raise ValueError(f"unknown instruction format (choose from: "
                             f"{', '.join(sorted(FORMATS))})")
        return name

    @field_validator("format")
    @classmethod
    def _not_text(cls, fmt: str) -> str:
        if fmt == "text":
            raise ValueError("instruction data cannot be plain text (json, jsonl, parquet or "
                             "auto)")
        return fmt


def check_mixture(sources: Sequence[_SourceConfig]) -> None:
    """Validate a mixture: at least one source; the fractions given sum to 1.

    Raises:
        ValueError: (inside a config validator: a one-line ConfigError naming the field).
    """
    if not sources:
        raise ValueError("at least one data source is required")
    fractions = [s.fraction for s in sources if s.fraction is not None]
    total = sum(fractions)
    if fractions and abs(total - 1.0) > 1e-6:
        raise ValueError(f"data fractions must sum to 1 (got {total:g})")


def fixed_samples(sources: Sequence[_SourceConfig]) -> int | None:
    """Σ samples when every source gives `samples` (the budget is then their sum), else None."""
    if all(s.samples is not None for s in sources):
        return sum(s.samples for s in sources)  # type: ignore[misc]
    return None


def _raw_all_samples(raw: Any) -> bool:
    """True when a raw (unvalidated) source list gives `samples` on every source."""
    if not isinstance(raw, list) or not raw:
        return False
    return all((s.get("samples") if isinstance(s, dict) else getattr(s, "samples", None))
               is not None for s in raw)


def default_cpt_budget(data: Any) -> Any:
    """Before validation of a CPT config: `tokens` (default 400,000) is dropped when the budget
    is given another way (`samples:`, or samples on every source) and tokens is not set."""
    if not isinstance(data, dict) or "tokens" in data:
        return data
    if data.get("samples") is not None or _raw_all_samples(data.get("data")):
        return {**data, "tokens": None}
    return data


def check_cpt_budget(tokens: int | None, samples: int | None,
                     sources: Sequence[_SourceConfig], budget_tokenizer: str | None) -> None:
    """Exactly one budget (tokens or samples), or none when every source gives samples; the
    samples sources fit the samples budget; budget_tokenizer needs a tokens budget.

    Raises:
        ValueError: (a one-line ConfigError from the config validator).
    """
    fixed = fixed_samples(sources)
    if fixed is not None:
        if tokens is not None:
            raise ValueError("every source gives samples, so the budget is their sum: set "
                             "tokens: null")
        if samples is not None and samples != fixed:
            raise ValueError(f"samples ({samples}) must equal the sources' samples ({fixed}) "
                             "or be left out")
    elif (tokens is None) == (samples is None):
        raise ValueError("give exactly one budget, tokens or samples (set tokens: null to "
                         "budget in samples)")
    partial = sum(s.samples for s in sources if s.samples is not None)
    if fixed is None and samples is not None and partial >= samples:
        raise ValueError(f"the samples sources give {partial} of the {samples} samples: "
                         "nothing is left for the fraction sources")
    if budget_tokenizer is not None and (tokens is None or partial):
        raise ValueError("budget_tokenizer counts a tokens budget over fraction sources (a "
                         "samples budget is the same text for every tokenizer already)")


def default_sft_examples(data: Any) -> Any:
    """Before validation of an SFT config: `examples` defaults to the sources' samples when
    every source gives samples."""
    if isinstance(data, dict) and "examples" not in data and _raw_all_samples(data.get("data")):
        raw = data["data"]
        total = sum(s["samples"] if isinstance(s, dict) else s.samples for s in raw)
        return {**data, "examples": total}
    return data


def check_sft_examples(examples: int, sources: Sequence[_SourceConfig]) -> None:
    """The samples sources fit the examples budget (equal it when every source gives samples).

    Raises:
        ValueError: (a one-line ConfigError from the config validator).
    """
    check_mixture(sources)
    fixed = fixed_samples(sources)
    if fixed is not None and fixed != examples:
        raise ValueError(f"examples ({examples}) must equal the sources' samples ({fixed}) "
                         "or be left out")
    partial = sum(s.samples for s in sources if s.samples is not None)
    if fixed is None and partial >= examples:
        raise ValueError(f"the samples sources give {partial} of the {examples} examples: "
                         "nothing is left for the fraction sources")


def instruction_sources_or_path(value: Any) -> Any:
    """Before validation of SFTConfig.data: a list is validated source by source here, so an
    error names the source and field ("data.1: field 'instruction_format': ...") instead of
    pydantic's report on every branch of `str | list[...]`."""
    from pydantic import ValidationError

    from langtransfer.config import format_validation_error

    if not isinstance(value, list):
        return value
    sources = []
    for i, item in enumerate(value):
        try:
            sources.append(InstructionSourceConfig.model_validate(item))
        except ValidationError as exc:
            raise ValueError(format_validation_error(exc, InstructionSourceConfig,
                                                     f"data.{i}")) from None
    return sources
