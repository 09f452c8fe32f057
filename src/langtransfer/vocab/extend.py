"""Merge new pieces into a base tokenizer, keeping every original id and appending new ones.

`langtransfer vocab extend --base TOKENIZER --add SP_MODEL_OR_TOKEN_LIST --out DIR`

Two kinds of base are supported:

- SentencePiece (LLaMA, LLaMA-2, tok512; a `.model` file or a folder holding
  `tokenizer.model`): merged at the ModelProto level exactly as Chinese-LLaMA-Alpaca's
  `scripts/merge_tokenizer/merge_tokenizers.py` does — every piece of the added model that the
  base lacks is appended, in order, with score 0 (`score="zero"`). With LLaMA's 32,000 pieces
  and its `chinese_sp.model` that gives 49,953 pieces. `score="below-min"` appends scores below
  the base's lowest score instead, so the base's own BPE merges keep priority.
- Byte-level BPE (GPT-2, Llama-3, Qwen; a `tokenizer.json` with a ByteLevel pre-tokenizer): each
  new token gets the merges that build it from the pieces the current BPE already splits it
  into, appended after the existing merges, so `encode` really produces it.

The output folder holds the tokenizer files `AutoTokenizer.from_pretrained` loads (plus the
`.model` for SentencePiece bases) and `vocab_extend.json` (what was merged, with input hashes).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from langtransfer.errors import UserError
from langtransfer.files import atomic_open, sha256_file, write_json
from langtransfer.vocab.byte_level import bytes_to_unicode, merge_byte_level, pin_added_tokens

SCORE_MODES = ("zero", "below-min")
SP_NAME = "tokenizer.model"  # the names transformers looks for in a folder
JSON_NAME = "tokenizer.json"
# Files of a transformers tokenizer folder; stale ones in --out are replaced or removed.
HF_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "added_tokens.json", "chat_template.jinja")
SUPPORTED = ("supported: a SentencePiece .model (or a folder with tokenizer.model) or a "
             "byte-level BPE tokenizer.json (or a folder with one)")
# LLaMA gives its whitespace-run pieces ("▁▁", "▁▁▁"…) score -1e9 so they merge last. They are
# not the base's "real" minimum: float32 cannot count down from -1e9 (its spacing there is
# 64), so below-min counts down from the lowest score above this line.
SENTINEL_SCORE = -1e8
NORMAL, USER_DEFINED = 1, 4  # ModelProto.SentencePiece.Type values (sentencepiece_model.proto)


@dataclass(frozen=True)
class ExtendResult:
    """What `extend_tokenizer` wrote."""

    base_size: int
    """Ids in the base tokenizer (pieces, or vocabulary plus added tokens)."""
    added: int
    """New ids appended (byte-level: including intermediate tokens); new_size - base_size."""
    new_size: int
    out: Path
    skipped_existing: int
    """Pieces of --add already in the base, not added again."""
    kind: str = "sentencepiece"
    """"sentencepiece" or "byte-level"."""
    score: str = "zero"
    unreachable: int = 0
    """Appended pieces `encode` can never produce (SentencePiece BPE: no split into two
    producible parts; byte-level: the pre-tokenizer splits the token). Wasted rows."""
    intermediates: int = 0
    """Byte-level: tokens added only as steps towards a requested token."""
    hf_matches_sp: bool = True
    """Whether transformers' tokenizer gave SentencePiece's ids on the parity probes. Score
    zero ties every appended piece, and a BPE tokenizer.json cannot express SentencePiece's
    leftmost-first tie-break, so it differs on some text (docs/vocab.md)."""

    def summary(self) -> dict[str, Any]:
        """The `--json` object: base_size, added, new_size, out."""
        return {"base_size": self.base_size, "added": self.added, "new_size": self.new_size,
                "out": str(self.out)}


@dataclass(frozen=True)
class BaseTokenizer:
    """A base tokenizer found on disk."""

    kind: str
    """"sentencepiece" or "byte-level"."""
    file: Path
    """The `.model` or `tokenizer.json` that is merged."""
    folder: Path | None
    """Folder whose transformers files carry special-token settings (None: a bare file)."""


def extend_tokenizer(base: str | Path, add: str | Path, out: str | Path, score: str = "zero",
                     skip_existing: bool = False) -> ExtendResult:
    """Append new pieces to a base tokenizer and write the merged tokenizer folder.

    Args:
        base: a SentencePiece `.model`, a folder with `tokenizer.model`, or a byte-level BPE
            `tokenizer.json` (or a folder with one).
        add: a SentencePiece `.model` (its pieces in order, minus control/unknown/byte pieces;
            pieces the base has are skipped and counted) or a UTF-8 text file with one token
            per line (a space and "▁" both mean whitespace; blank lines are ignored).
        out: output folder (created; other files in it are left alone).
        score: "zero" (Chinese-LLaMA-Alpaca's choice) or "below-min" (SentencePiece bases).
        skip_existing: skip token-list lines already in the base instead of failing.

    Returns:
        The ExtendResult.

    Raises:
        UserError: an unsupported or corrupt base, a corrupt `.model` or bad token list, or
            `out` equal to the base folder.
    """
    if score not in SCORE_MODES:
        raise UserError(f"--score {score!r}: expected one of {', '.join(SCORE_MODES)}")
    found = detect_base(base)
    out = Path(out)
    if found.folder is not None and out.resolve() == found.folder.resolve():
        raise UserError(f"{out}: --out must differ from the base tokenizer folder")
    if found.kind == "sentencepiece":
        result = _extend_sentencepiece(found, Path(add), out, score, skip_existing)
    else:
        result = _extend_byte_level(found, Path(add), out, skip_existing)
    _write_provenance(found, Path(add), result)
    return result


# ---------------------------------------------------------------------------- base detection

def detect_base(path: str | Path) -> BaseTokenizer:
    """Find what kind of tokenizer `path` is; raise a one-line UserError if it is unsupported."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: base tokenizer not found")
    if path.is_dir():
        if (path / SP_NAME).is_file():
            return BaseTokenizer("sentencepiece", path / SP_NAME, path)
        if (path / JSON_NAME).is_file():
            return _check_byte_level(path / JSON_NAME, path)
        raise UserError(f"{path}: folder has neither {SP_NAME} nor {JSON_NAME}; {SUPPORTED}")
    if path.suffix == ".json":
        return _check_byte_level(path, None)
    load_sp_proto(path, role="base tokenizer")  # raises with what was found
    return BaseTokenizer("sentencepiece", path, None)


def _check_byte_level(path: Path, folder: Path | None) -> BaseTokenizer:
    spec = _read_tokenizer_json(path)
    model = spec.get("model") or {}
    pre = json.dumps(spec.get("pre_tokenizer"))
    if model.get("type") != "BPE" or '"ByteLevel"' not in pre:
        pre_name = (spec.get("pre_tokenizer") or {}).get("type", "no")
        raise UserError(f"{path}: a {model.get('type', 'unknown')} tokenizer.json with "
                        f"{pre_name} pre-tokenizer, not byte-level BPE; {SUPPORTED}")
    if model.get("continuing_subword_prefix") or model.get("end_of_word_suffix"):
        raise UserError(f"{path}: byte-level BPE with a subword prefix/suffix is not supported")
    return BaseTokenizer("byte-level", path, folder)


def _read_tokenizer_json(path: Path) -> dict:
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a tokenizer.json ({exc.__class__.__name__}: {exc}); "
                        f"{SUPPORTED}") from None
    if not isinstance(spec, dict) or "model" not in spec:
        raise UserError(f"{path}: JSON without a 'model' entry, not a tokenizer.json; {SUPPORTED}")
    return spec


def load_sp_proto(path: str | Path, role: str = "SentencePiece model") -> Any:
    """Parse and validate a SentencePiece ModelProto; a corrupt file is a one-line UserError."""
    import sentencepiece as spm
    from google.protobuf.message import DecodeError
    from sentencepiece import sentencepiece_model_pb2 as pb

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: {role} not found")
    data = path.read_bytes()
    proto = pb.ModelProto()
    try:
        proto.ParseFromString(data)
    except DecodeError as exc:
        raise UserError(f"{path}: {role} is not a valid SentencePiece model ({exc}); "
                        f"{SUPPORTED}") from None
    # protobuf parses many byte strings without complaint: require what a real model has.
    if not (proto.pieces and proto.HasField("trainer_spec") and proto.HasField("normalizer_spec")):
        raise UserError(f"{path}: {role} is not a valid SentencePiece model (no pieces, "
                        f"trainer or normalizer spec: truncated or not a .model); {SUPPORTED}")
    try:
        spm.SentencePieceProcessor(model_proto=data)
    except RuntimeError as exc:
        raise UserError(f"{path}: {role} is not a valid SentencePiece model ({exc})") from None
    return proto


# ---------------------------------------------------------------------------- pieces to add

def read_new_tokens(add: Path, exists: Callable[[str], bool], to_base_form: Callable[[str], str],
                    skip_existing: bool) -> tuple[list[str], int]:
    """Tokens of `add` (a .model or a token list) in the base's form, minus those it has.

    Returns:
        (tokens to append in order, number skipped because the base has them).
    """
    if add.suffix == ".model":
        proto = load_sp_proto(add, role="--add model")
        keep = (NORMAL, USER_DEFINED)  # control, unknown, byte and unused pieces are not text
        tokens = [to_base_form(p.piece) for p in proto.pieces if p.type in keep]
        # As merge_tokenizers.py: pieces the base already has are skipped silently.
        fresh = [t for t in dict.fromkeys(tokens) if not exists(t)]
        return fresh, len(tokens) - len(fresh)
    lines = _read_token_list(add)
    fresh, seen, skipped = [], {}, 0
    for line_no, raw in lines:
        token = to_base_form(raw)
        if token in seen:
            raise UserError(f"{add}:{line_no}: duplicate token {raw!r} "
                            f"(first on line {seen[token]})")
        seen[token] = line_no
        if exists(token):
            if not skip_existing:
                raise UserError(f"{add}:{line_no}: token {raw!r} is already in the base "
                                "vocabulary (pass --skip-existing to skip such lines)")
            skipped += 1
            continue
        fresh.append(token)
    return fresh, skipped


def _read_token_list(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        raise UserError(f"{path}: --add file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a BOM is not part of line 1
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: token list is not UTF-8 text ({exc.reason} at byte "
                        f"{exc.start}); a SentencePiece model must end in .model") from None
    # Only the line ending is removed: a leading space is part of a token ("▁中国" = " 中国").
    lines = [(i, line.rstrip("\r")) for i, line in enumerate(text.split("\n"), 1)]
    return [(i, line) for i, line in lines if line.strip()]


# ---------------------------------------------------------------------------- SentencePiece

def merge_sentencepiece(base: Any, pieces: list[str], score: str = "zero") -> Any:
    """A copy of the base ModelProto with `pieces` appended (merge_tokenizers.py's loop).

    Args:
        base: the base ModelProto.
        pieces: pieces to append, in order, none already in the base.
        score: "zero" (every piece scores 0: top BPE merge priority, ties broken leftmost
            first) or "below-min" (descending scores below the base's lowest, so existing
            merges keep priority and appended pieces keep their order).
    """
    from sentencepiece import sentencepiece_model_pb2 as pb

    merged = pb.ModelProto()
    merged.CopyFrom(base)
    for piece, value in zip(pieces, new_scores(base, len(pieces), score)):
        merged.pieces.append(pb.ModelProto.SentencePiece(piece=piece, score=value))
    return merged


def new_scores(base: Any, n: int, score: str) -> list[float]:
    """Scores of `n` appended pieces under a score mode."""
    if score == "zero":
        return [0.0] * n
    floor = min((p.score for p in base.pieces if p.type == NORMAL and p.score > SENTINEL_SCORE),
                default=0.0)
    return [floor - 1.0 - i for i in range(n)]  # whole numbers: exact in float32 below 2**24


def count_unreachable(proto: Any, new_pieces: list[str]) -> int:
    """Appended pieces a SentencePiece BPE model can never output (0 for unigram models).

    BPE encoding starts from the text's characters (pieces or not: unknown ones fall back to
    bytes only at the end) and only merges two adjacent symbols whose concatenation is a
    piece, so a piece is reachable when it splits into two parts that are each one character
    or a reachable piece. User-defined pieces are matched whole, so they are reachable.
    """
    from sentencepiece import sentencepiece_model_pb2 as pb

    if proto.trainer_spec.model_type != pb.TrainerSpec.BPE:
        return 0
    reachable = {p.piece for p in proto.pieces if p.type == USER_DEFINED}

    def producible(s: str) -> bool:
        return len(s) == 1 or s in reachable

    for piece in sorted((p.piece for p in proto.pieces if p.type == NORMAL), key=len):
        if any(producible(piece[:i]) and producible(piece[i:]) for i in range(1, len(piece))):
            reachable.add(piece)
    return sum(not producible(p) for p in new_pieces)


def _extend_sentencepiece(base: BaseTokenizer, add: Path, out: Path, score: str,
                          skip_existing: bool) -> ExtendResult:
    proto = load_sp_proto(base.file, role="base tokenizer")
    settings = _special_settings(base, len(proto.pieces))
    have = {p.piece for p in proto.pieces}
    pieces, skipped = read_new_tokens(add, have.__contains__, lambda t: t.replace(" ", "▁"),
                                      skip_existing)
    merged = merge_sentencepiece(proto, pieces, score)
    matches = write_sentencepiece_folder(merged.SerializeToString(), out, settings,
                                         strict=score != "zero")
    return ExtendResult(base_size=len(proto.pieces), added=len(pieces),
                        new_size=len(merged.pieces), out=out, skipped_existing=skipped,
                        kind="sentencepiece", score=score,
                        unreachable=count_unreachable(merged, pieces), hf_matches_sp=matches)


@dataclass(frozen=True)
class SpecialSettings:
    """The base's special-token behaviour, carried over to the merged tokenizer."""

    add_bos: bool = True  # LLaMA's convention (hf_tokenizer_from_sp) for a bare .model
    add_eos: bool = False
    pad_token: str | None = None  # None: pad with <unk> (see vocab.train.hf_tokenizer_from_sp)


def _special_settings(base: BaseTokenizer, n_pieces: int) -> SpecialSettings:
    """Read bos/eos behaviour and the pad token from the base folder's transformers files."""
    folder = base.folder
    if folder is None or not any((folder / name).is_file() for name in HF_FILES[:3]):
        return SpecialSettings()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    if len(tok) > n_pieces:  # added tokens past the .model would collide with new pieces
        extra = sorted(set(tok.get_vocab().values()) - set(range(n_pieces)))
        raise UserError(f"{folder}: {len(tok) - n_pieces} added token(s) beyond {SP_NAME} "
                        f"(ids {extra[:5]}) would collide with appended pieces; remove them "
                        "from the folder or add them to the .model")
    ids = tok("a")["input_ids"]
    return SpecialSettings(
        add_bos=tok.bos_token_id is not None and ids[:1] == [tok.bos_token_id],
        add_eos=tok.eos_token_id is not None and ids[-1:] == [tok.eos_token_id],
        pad_token=tok.pad_token)


def write_sentencepiece_folder(model_bytes: bytes, out: Path, settings: SpecialSettings,
                               strict: bool = True) -> bool:
    """Write `tokenizer.model` and transformers' files for it into `out`.

    The tokenizer is converted by `AutoTokenizer.from_pretrained` from a folder holding only
    the .model (in transformers 5.x this matches SentencePiece's ids; `LlamaTokenizer(...)`
    does not — ENVIRONMENT.md), saved in a temporary folder and copied in atomically.

    Args:
        model_bytes: the serialized ModelProto.
        out: output folder.
        settings: bos/eos/pad behaviour to keep.
        strict: raise when transformers' ids differ from SentencePiece's on the probes
            (off for score zero, whose ties a BPE tokenizer.json cannot reproduce).

    Returns:
        Whether transformers' ids equal SentencePiece's on `vocab.train.PARITY_PROBES`.
    """
    from transformers import AutoTokenizer

    from langtransfer.vocab.train import check_id_parity

    with tempfile.TemporaryDirectory(prefix="lt-vocab-") as tmp:
        src, saved = Path(tmp) / "src", Path(tmp) / "saved"
        src.mkdir()
        (src / SP_NAME).write_bytes(model_bytes)
        tok = AutoTokenizer.from_pretrained(src, add_bos_token=settings.add_bos,
                                            add_eos_token=settings.add_eos)
        tok.pad_token = settings.pad_token or tok.unk_token
        tok.save_pretrained(saved)
        _install(saved, out, extra={SP_NAME: model_bytes})
    try:
        check_id_parity(out / SP_NAME, AutoTokenizer.from_pretrained(out))
    except UserError:
        if strict:
            raise
        return False
    return True


def _install(saved: Path, out: Path, extra: dict[str, bytes]) -> None:
    """Copy a saved tokenizer folder into `out` atomically, file by file; remove stale
    transformers tokenizer files there (a stale tokenizer.json would shadow the new .model)."""
    out.mkdir(parents=True, exist_ok=True)
    files = {p.name: p.read_bytes() for p in saved.iterdir() if p.is_file()} | extra
    for name in HF_FILES:
        if name not in files:
            (out / name).unlink(missing_ok=True)
    for name, data in files.items():
        with atomic_open(out / name, "wb") as fh:
            fh.write(data)


def _extend_byte_level(base: BaseTokenizer, add: Path, out: Path,
                       skip_existing: bool) -> ExtendResult:
    from tokenizers import Tokenizer

    spec = pin_added_tokens(_read_tokenizer_json(base.file), base.file)
    byte_char = bytes_to_unicode()

    def to_byte_level(token: str) -> str:
        return "".join(byte_char[b] for b in token.encode("utf-8"))

    vocab = spec["model"]["vocab"]
    added_contents = {t["content"] for t in spec.get("added_tokens", [])}
    base_size = 1 + max([*vocab.values(), *(t["id"] for t in spec.get("added_tokens", []))])
    tokens, skipped = read_new_tokens(
        add, lambda t: to_byte_level(t) in vocab or t in added_contents,
        lambda t: t.replace("▁", " "), skip_existing)
    merged, new = merge_byte_level(spec, tokens)
    tok = Tokenizer.from_str(json.dumps(merged))
    for token in tokens:  # by construction each new token is one piece on its own
        pieces = [t.value for t in tok.model.tokenize(to_byte_level(token))]
        if pieces != [to_byte_level(token)]:
            raise RuntimeError(f"merge_byte_level bug: {token!r} encodes as {pieces}")
    # The BPE only sees pre-tokenized words: a token spanning two ("中国。") is never produced.
    split = sum(len(tok.pre_tokenizer.pre_tokenize_str(t)) > 1 for t in tokens)
    with tempfile.TemporaryDirectory(prefix="lt-vocab-") as tmp:
        saved = Path(tmp)
        (saved / JSON_NAME).write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
        for name in HF_FILES[1:]:  # keep the base's special-token settings as they are
            if base.folder is not None and (base.folder / name).is_file():
                shutil.copyfile(base.folder / name, saved / name)
        _install(saved, out, extra={})
    (out / SP_NAME).unlink(missing_ok=True)  # a stale .model would be merged next time
    return ExtendResult(base_size=base_size, added=len(new), new_size=base_size + len(new),
                        out=out, skipped_existing=skipped, kind="byte-level", score="n/a",
                        unreachable=split,
                        intermediates=len(set(new) - {to_byte_level(t) for t in tokens}))


# ---------------------------------------------------------------------------- provenance

def _write_provenance(base: BaseTokenizer, add: Path, result: ExtendResult) -> None:
    """vocab_extend.json: inputs (paths + sha256), options and counts, beside the tokenizer."""
    from langtransfer.runs import package_versions

    record = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(result).items()}
    record |= {"base": {"path": str(base.file), "sha256": sha256_file(base.file)},
               "add": {"path": str(add), "sha256": sha256_file(add)},
               "versions": package_versions()}
    write_json(result.out / "vocab_extend.json", record)
