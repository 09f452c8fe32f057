"""Tokenise once: processed datasets cached on disk, keyed by everything that made them.

Exercised by `langtransfer train cpt|sft` (the manifest's "cache" record says hit or miss per
source) and tests/unit/data/test_data_cache.py.

Key: sha256 of canonical JSON of {cache version, transform name (versioned: clm_v1, sft_v1),
the source's content fingerprint (format + sha256 of each file, or hf name/subset/split/
revision; for SFT the hash of the selected rows themselves), the tokenizer fingerprint (its
whole tokenizers JSON or SentencePiece proto, special tokens, add_bos/add_eos, chat template)
and transform options (the prompt template)}. A changed file, tokenizer, template or transform
is a new key; paths, run directories and model weights are not in it, so arms that share data
and tokenizer share entries.

Entry: `<cache_dir>/v1/<key[:2]>/<key>/` with ids.npy (int32, all documents end to end),
offsets.npy (int64, n_docs + 1), mask.npy (int8 loss mask; SFT only) and meta.json. It is
written into a hidden temp folder beside it and renamed into place, so a reader sees a whole
entry or none; when two processes build the same entry the loser drops its copy. The write
(with its fsyncs, ~10 ms) runs in a background thread so a miss costs no more than tokenising
did before the cache; a later lookup of the same entry in the process waits for it, and the
interpreter waits for it at exit (non-daemon thread).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from langtransfer.files import atomic_open, write_json

CACHE_VERSION = 1
CACHE_ENV = "LANGTRANSFER_CACHE"
_WRITES: dict[Path, threading.Thread] = {}  # entry folder -> the thread writing it


def default_cache_dir() -> Path:
    """$LANGTRANSFER_CACHE, else ~/.cache/langtransfer."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "langtransfer"


def resolve_cache_dir(value: str | Path | None) -> Path:
    """A config's `cache_dir` (None: the default)."""
    return Path(value) if value else default_cache_dir()


def tokenizer_fingerprint(tok: Any) -> str:
    """sha256 of what decides a tokenizer's ids: its tokenizers JSON (vocabulary, merges,
    normalizer, pre-tokenizer, added tokens) or SentencePiece proto, plus its special tokens,
    add_bos/add_eos flags and chat template."""
    h = hashlib.sha256()
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is not None:
        h.update(_backend_spec(backend).encode())
    elif getattr(tok, "sp_model", None) is not None:
        h.update(tok.sp_model.serialized_model_proto())
    else:
        h.update(json.dumps(sorted(tok.get_vocab().items()), ensure_ascii=False).encode())
    extra = {
        "special": {k: str(v) for k, v in sorted(tok.special_tokens_map.items())},
        "ids": [tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id],
        "add_bos": getattr(tok, "add_bos_token", None),
        "add_eos": getattr(tok, "add_eos_token", None),
        "chat_template": getattr(tok, "chat_template", None),
        "size": len(tok),
    }
    h.update(json.dumps(extra, sort_keys=True, default=str, ensure_ascii=False).encode())
    return h.hexdigest()


def _backend_spec(backend: Any) -> str:
    """The tokenizers JSON (serde output: fields and vocabulary in a fixed order) without the
    truncation/padding state a transformers call leaves on the backend (restored after)."""
    truncation, padding = backend.truncation, backend.padding
    if not (truncation or padding):
        return backend.to_str()
    backend.no_truncation()
    backend.no_padding()
    try:
        return backend.to_str()
    finally:
        if truncation:
            backend.enable_truncation(**truncation)
        if padding:
            backend.enable_padding(**padding)


def cache_key(parts: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the key parts and the cache version."""
    canon = json.dumps({"cache_version": CACHE_VERSION, **parts}, sort_keys=True,
                       ensure_ascii=False, default=str)
    return hashlib.sha256(canon.encode()).hexdigest()


@dataclass
class TokenizedDocs:
    """Documents (or examples) as one int32 id array plus offsets; `doc(i)` is a view."""

    ids: np.ndarray
    """int32 [n_tokens]: every document end to end."""
    offsets: np.ndarray
    """int64 [n_docs + 1]: document i is ids[offsets[i]:offsets[i + 1]]."""
    mask: np.ndarray | None = None
    """int8 [n_tokens] loss mask (1 = trained), for SFT examples."""

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_tokens(self) -> int:
        """Tokens in all documents."""
        return int(self.offsets[-1])

    def lengths(self) -> np.ndarray:
        """Tokens per document."""
        return np.diff(self.offsets)

    def doc(self, i: int) -> np.ndarray:
        """Document i's ids (a view, no copy)."""
        return self.ids[self.offsets[i]:self.offsets[i + 1]]

    def docs(self) -> list[np.ndarray]:
        """All documents as views (what packing.take_tokens draws from)."""
        return [self.doc(i) for i in range(len(self))]

    @classmethod
    def from_batches(cls, batches: Iterable[Sequence[Sequence[int]]],
                     masks: Iterable[Sequence[Sequence[int]]] | None = None) -> "TokenizedDocs":
        """Build from id lists arriving a batch at a time (only one batch is held as lists)."""
        chunks, mask_chunks, lengths = [], [], []
        mask_iter = iter(masks) if masks is not None else None
        for batch in batches:
            lens = [len(d) for d in batch]
            chunks.append(np.fromiter(chain.from_iterable(batch), np.int32, count=sum(lens)))
            if mask_iter is not None:
                mask_chunks.append(np.fromiter(chain.from_iterable(next(mask_iter)), np.int8,
                                               count=sum(lens)))
            lengths.extend(lens)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.concatenate(chunks) if chunks else np.zeros(0, np.int32)
        mask = None
        if mask_iter is not None:
            mask = np.concatenate(mask_chunks) if mask_chunks else np.zeros(0, np.int8)
        return cls(ids=ids, offsets=offsets, mask=mask)


@dataclass
class CacheEntry:
    """One lookup: its key, hit or miss, the entry folder."""

    key: str
    status: str
    """"hit" (read from disk) or "miss" (built and stored)."""
    path: Path
    what: str = ""
    """The source or data it holds (for the manifest)."""
    transform: str = ""

    def record(self) -> dict[str, str]:
        """The manifest row."""
        return {"data": self.what, "transform": self.transform, "key": self.key,
                "status": self.status}


class TokenCache:
    """The on-disk cache under one root folder (see module docstring for the layout)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def entry_path(self, key: str) -> Path:
        """The folder of an entry."""
        return self.root / f"v{CACHE_VERSION}" / key[:2] / key

    def load(self, key: str) -> TokenizedDocs | None:
        """The entry (memory-mapped), or None when absent or inconsistent."""
        path = self.entry_path(key)
        if not (path / "meta.json").is_file():
            return None
        try:
            ids = np.load(path / "ids.npy", mmap_mode="r")
            offsets = np.load(path / "offsets.npy")
            mask = np.load(path / "mask.npy", mmap_mode="r") if (path / "mask.npy").is_file() \
                else None
        except (OSError, ValueError):
            return None
        if offsets[0] != 0 or offsets[-1] != len(ids) or (mask is not None
                                                          and len(mask) != len(ids)):
            return None
        return TokenizedDocs(ids=ids, offsets=offsets, mask=mask)

    def store(self, key: str, docs: TokenizedDocs, meta: dict[str, Any]) -> None:
        """Write an entry atomically (temp folder + rename); an existing one is replaced only
        when it is unreadable."""
        final = self.entry_path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=final.parent))
        try:
            arrays = {"ids": docs.ids, "offsets": docs.offsets, "mask": docs.mask}
            for name, arr in arrays.items():
                if arr is not None:
                    with atomic_open(tmp / f"{name}.npy", "wb") as fh:
                        np.save(fh, np.ascontiguousarray(arr))
            write_json(tmp / "meta.json", {**meta, "key": key, "n_docs": len(docs),
                                           "n_tokens": docs.n_tokens, "created": time.time()})
            if final.exists() and self.load(key) is None:
                shutil.rmtree(final)  # a broken entry (truncated by hand, disk trouble)
            try:
                os.rename(tmp, final)
            except OSError:  # another process stored the same entry first: keep theirs
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def get_or_build(self, parts: dict[str, Any], build: Callable[[], TokenizedDocs],
                     what: str = "") -> tuple[TokenizedDocs, CacheEntry]:
        """The cached entry for `parts`, or `build()` stored under it.

        Args:
            parts: the key parts (transform, source fingerprint, tokenizer fingerprint, ...).
            build: makes the data on a miss.
            what: the source's name (for meta.json and the manifest).

        Returns:
            (data, the lookup record).
        """
        key = cache_key(parts)
        path = self.entry_path(key)
        transform = str(parts.get("transform", ""))
        wait_for_writes(path)
        docs = self.load(key)
        if docs is not None:
            return docs, CacheEntry(key, "hit", path, what, transform)
        docs = build()
        meta = {"what": what, "parts": parts, "cache_version": CACHE_VERSION}
        writer = threading.Thread(target=self.store, args=(key, docs, meta),
                                  name=f"cache-write-{key[:8]}")
        _WRITES[path] = writer
        writer.start()
        return docs, CacheEntry(key, "miss", path, what, transform)


def wait_for_writes(path: Path | None = None) -> None:
    """Block until background cache writes are on disk (all, or the one for `path`)."""
    paths = [path] if path is not None else list(_WRITES)
    for p in paths:
        writer = _WRITES.pop(p, None)
        if writer is not None:
            writer.join()


def cache_record(cache: TokenCache, entries: Sequence[CacheEntry]) -> dict[str, Any]:
    """The manifest's "cache" field: overall status ("hit" only if every entry hit), the
    folder and one row per entry."""
    status = "hit" if entries and all(e.status == "hit" for e in entries) else "miss"
    return {"status": status, "dir": str(cache.root), "entries": [e.record() for e in entries]}


def cached_documents(src: Any, tok: Any, cache: TokenCache, fingerprint: str | None = None,
                     transform: str = "clm_v1") -> tuple[TokenizedDocs, CacheEntry]:
    """A text source's documents through a CPT transform, from the cache when possible.

    Args:
        src: a TextSourceConfig.
        tok: the tokenizer.
        cache: the cache.
        fingerprint: tokenizer_fingerprint(tok), when the caller has it already.
        transform: a data.transforms name taking (tok, texts).
    """
    from langtransfer.data.sources import iter_texts, source_fingerprint
    from langtransfer.data.transforms import TRANSFORMS

    parts = {"transform": transform, "source": source_fingerprint(src),
             "tokenizer": fingerprint or tokenizer_fingerprint(tok)}
    fn = TRANSFORMS[transform]
    return cache.get_or_build(parts, lambda: TokenizedDocs.from_batches(fn(tok, iter_texts(src))),
                              what=src.describe())


def rows_hash(rows: Sequence[dict]) -> str:
    """sha256 of the rows' messages (canonical JSON): the SFT data's identity."""
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row["messages"], sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def cached_conversations(rows: Sequence[dict], tok: Any, template: str, cache: TokenCache,
                         fingerprint: str | None = None, transform: str = "sft_v1",
                         what: str = "") -> tuple[TokenizedDocs, CacheEntry]:
    """SFT rows through sft_v1 (ids + loss mask), from the cache when possible; keyed by the
    rows' content, so a run that selects the same examples reuses the entry.

    Args:
        rows: rows with "messages".
        tok: the tokenizer.
        template: prompt template name.
        cache: the cache.
        fingerprint: tokenizer_fingerprint(tok), when the caller has it already.
        transform: a data.transforms name taking (tok, rows, template).
        what: a name for the data (manifest).
    """
    from langtransfer.data.transforms import TRANSFORMS

    parts = {"transform": transform, "template": template, "rows": rows_hash(rows),
             "tokenizer": fingerprint or tokenizer_fingerprint(tok)}
    fn = TRANSFORMS[transform]

    def build() -> TokenizedDocs:
        pairs = fn(tok, rows, template)
        return TokenizedDocs.from_batches([[p[0] for p in pairs]], [[p[1] for p in pairs]])

    return cache.get_or_build(parts, build, what=what)
