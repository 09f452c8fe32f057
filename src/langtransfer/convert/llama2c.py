"""Import a llama2.c checkpoint (legacy v0 `.bin`) as a transformers LLaMA model folder.

    langtransfer model import-llama2c stories260K.bin --tokenizer tok512.model --out DIR

The legacy v0 layout (karpathy/llama2.c `export.py --version 0`, the format of the tinyllamas
checkpoints): a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
seq_len; a negative vocab_size means the classifier is NOT tied to the token embedding), then
float32 tensors in this order: tok_embeddings [vocab, dim]; per-layer attention_norm, wq, wk,
wv, wo, ffn_norm, w1, w2, w3 (each all layers stacked); final norm; freq_cis_real and
freq_cis_imag [seq_len, head_dim / 2]; and, when untied, the classifier [vocab, dim].
nn.Linear weights are stored as (out_features, in_features), as torch keeps them.

One real difference from transformers' LLaMA: llama2.c rotates interleaved pairs
(x[2i], x[2i+1]) while transformers rotates halves (x[i], x[i + head_dim/2]) ("rotate_half").
The rows of wq and wk are permuted per head to match, exactly as transformers'
convert_llama_weights_to_hf.py `permute` does for Meta's checkpoints (wk with n_kv_heads).
"""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langtransfer.errors import UserError

HEADER_FIELDS = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size",
                 "seq_len")
HEADER_BYTES = 4 * len(HEADER_FIELDS)  # 7 int32
ROPE_THETA = 10000.0  # llama2.c's precompute_freqs_cis default (checked against freq_cis below)
RMS_NORM_EPS = 1e-5  # llama2.c ModelArgs.norm_eps
LLAMA2C_LAYER_TENSORS = ("attention_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w2", "w3")


@dataclass(frozen=True)
class Llama2cHeader:
    """The checkpoint's shape (the 7-int header; `vocab_size` is made positive)."""

    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int
    tied: bool
    """True when the header's vocab_size was positive (classifier = token embedding)."""

    @property
    def head_dim(self) -> int:
        """Per-head width."""
        return self.dim // self.n_heads

    def shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of every tensor in file order (layer tensors stacked over layers)."""
        kv_dim = self.n_kv_heads * self.head_dim
        d, h, n = self.dim, self.hidden_dim, self.n_layers
        per_layer = {"attention_norm": (d,), "wq": (d, d), "wk": (kv_dim, d), "wv": (kv_dim, d),
                     "wo": (d, d), "ffn_norm": (d,), "w1": (h, d), "w2": (d, h), "w3": (h, d)}
        out: list[tuple[str, tuple[int, ...]]] = [("tok_embeddings", (self.vocab_size, d))]
        out += [(name, (n, *per_layer[name])) for name in LLAMA2C_LAYER_TENSORS]
        out += [("norm", (d,)), ("freq_cis_real", (self.seq_len, self.head_dim // 2)),
                ("freq_cis_imag", (self.seq_len, self.head_dim // 2))]
        if not self.tied:
            out.append(("output", (self.vocab_size, d)))
        return out


def read_llama2c(path: str | Path) -> tuple[Llama2cHeader, dict[str, Any]]:
    """Read a legacy v0 llama2.c checkpoint.

    Args:
        path: the `.bin` file.

    Returns:
        The header and a dict name -> float32 torch tensor (shapes as in `Llama2cHeader.shapes`).

    Raises:
        UserError: the file is missing, its header is impossible, or its size does not match
            the header (names the file, the expected and the actual byte counts).
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: llama2.c checkpoint not found")
    raw = path.read_bytes()
    header = _parse_header(path, raw)
    shapes = header.shapes()
    expected = HEADER_BYTES + 4 * sum(_numel(s) for _, s in shapes)
    if len(raw) != expected:
        raise UserError(f"{path}: {len(raw)} bytes, but a legacy v0 llama2.c checkpoint with "
                        f"this header has {expected} (another export version, or truncated?)")
    flat = torch.frombuffer(bytearray(raw[HEADER_BYTES:]), dtype=torch.float32)
    tensors, offset = {}, 0
    for name, shape in shapes:
        n = _numel(shape)
        tensors[name] = flat[offset:offset + n].view(shape).clone()
        offset += n
    _check_rope(path, header, tensors)
    return header, tensors


def _parse_header(path: Path, raw: bytes) -> Llama2cHeader:
    if len(raw) < HEADER_BYTES:
        raise UserError(f"{path}: too short for a llama2.c header ({len(raw)} bytes)")
    values = dict(zip(HEADER_FIELDS, struct.unpack("<7i", raw[:HEADER_BYTES])))
    tied = values["vocab_size"] > 0
    values["vocab_size"] = abs(values["vocab_size"])
    header = Llama2cHeader(**values, tied=tied)
    sane = (min(values.values()) > 0 and header.dim % header.n_heads == 0
            and header.n_heads % header.n_kv_heads == 0 and header.head_dim % 2 == 0)
    if not sane:
        raise UserError(f"{path}: not a llama2.c checkpoint (impossible header {values})")
    return header


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _check_rope(path: Path, header: Llama2cHeader, tensors: dict[str, Any]) -> None:
    """The stored RoPE table must be theta=10000's: transformers recomputes it from theta."""
    import torch

    half = header.head_dim // 2
    exponents = torch.arange(0, half, dtype=torch.float64) * 2 / header.head_dim
    inv_freq = 1.0 / ROPE_THETA ** exponents
    angles = torch.outer(torch.arange(header.seq_len, dtype=torch.float64), inv_freq)
    if not torch.allclose(tensors["freq_cis_real"].double(), angles.cos(), atol=1e-4):
        raise UserError(f"{path}: RoPE table does not match theta={ROPE_THETA:g} "
                        "(unsupported llama2.c variant)")


def permute_rope_rows(w: Any, n_heads: int) -> Any:
    """Reorder the output rows of wq / wk from interleaved RoPE pairs to rotate_half halves.

    Within each head, row 2i (the real part of pair i) moves to i and row 2i+1 to
    i + head_dim/2 — transformers' convert_llama_weights_to_hf.py `permute`.
    """
    rows, cols = w.shape
    return w.view(n_heads, rows // n_heads // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


def llama_config_for(header: Llama2cHeader, bos_id: int, eos_id: int,
                     pad_id: int | None) -> Any:
    """The `LlamaConfig` of a llama2.c checkpoint (llama2.c's fixed choices filled in)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=header.vocab_size, hidden_size=header.dim,
        intermediate_size=header.hidden_dim, num_hidden_layers=header.n_layers,
        num_attention_heads=header.n_heads, num_key_value_heads=header.n_kv_heads,
        max_position_embeddings=header.seq_len, rms_norm_eps=RMS_NORM_EPS,
        rope_parameters={"rope_type": "default", "rope_theta": ROPE_THETA},
        tie_word_embeddings=header.tied, bos_token_id=bos_id, eos_token_id=eos_id,
        pad_token_id=pad_id, attention_bias=False, mlp_bias=False,
    )


def hf_state_dict(header: Llama2cHeader, tensors: dict[str, Any]) -> dict[str, Any]:
    """Map llama2.c tensor names to LlamaForCausalLM's (RoPE rows permuted)."""
    sd = {"model.embed_tokens.weight": tensors["tok_embeddings"],
          "model.norm.weight": tensors["norm"]}
    if not header.tied:  # tied: lm_head.weight is the embedding parameter itself
        sd["lm_head.weight"] = tensors["output"]
    names = {"attention_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
             "wq": "self_attn.q_proj", "wk": "self_attn.k_proj", "wv": "self_attn.v_proj",
             "wo": "self_attn.o_proj", "w1": "mlp.gate_proj", "w2": "mlp.down_proj",
             "w3": "mlp.up_proj"}
    for i in range(header.n_layers):
        for src, dst in names.items():
            w = tensors[src][i]
            if src == "wq":
                w = permute_rope_rows(w, header.n_heads)
            elif src == "wk":
                w = permute_rope_rows(w, header.n_kv_heads)
            sd[f"model.layers.{i}.{dst}.weight"] = w.contiguous()
    return sd


@dataclass
class ImportResult:
    """What `import_llama2c` wrote."""

    out: str
    """The model folder (transformers format, tokenizer inside)."""
    header: dict[str, Any]
    """The checkpoint's header fields."""
    n_params: int
    """Parameters of the imported model (tied weights counted once)."""
    vocab_size: int
    """Tokenizer pieces (equals the embedding rows)."""


def import_llama2c(checkpoint: str | Path, tokenizer_model: str | Path,
                   out: str | Path) -> ImportResult:
    """Convert a llama2.c checkpoint + its SentencePiece model into a transformers folder.

    Args:
        checkpoint: the legacy v0 `.bin` (e.g. stories260K.bin).
        tokenizer_model: the SentencePiece `.model` the checkpoint was trained with
            (e.g. tok512.model); written as a tokenizers-backed LLaMA tokenizer with
            SentencePiece's exact ids (vocab.train.hf_tokenizer_from_sp).
        out: output folder (config.json, model.safetensors, tokenizer files).

    Returns:
        ImportResult.

    Raises:
        UserError: unreadable checkpoint or tokenizer, or their vocabulary sizes disagree.
    """
    for path, what in ((checkpoint, "llama2.c checkpoint"),
                       (tokenizer_model, "SentencePiece tokenizer model")):
        if not Path(path).is_file():  # before the heavy imports: a typo fails at once
            raise UserError(f"{path}: {what} not found")
    import torch
    from transformers import LlamaForCausalLM

    from langtransfer.modeling import save_model_and_tokenizer
    from langtransfer.train.model import count_parameters
    from langtransfer.vocab.check import check_vocab
    from langtransfer.vocab.train import hf_tokenizer_from_sp

    header, tensors = read_llama2c(checkpoint)
    out = Path(out)
    tok = hf_tokenizer_from_sp(Path(tokenizer_model), out)
    if len(tok) != header.vocab_size:
        raise UserError(f"{tokenizer_model}: {len(tok)} pieces, but {checkpoint} has "
                        f"{header.vocab_size} embedding rows (not its tokenizer?)")
    config = llama_config_for(header, tok.bos_token_id, tok.eos_token_id, tok.pad_token_id)
    with torch.random.fork_rng(devices=[]):  # the throw-away init must not move the caller's RNG
        model = LlamaForCausalLM(config)
    missing, unexpected = model.load_state_dict(hf_state_dict(header, tensors), strict=False)
    if unexpected or [k for k in missing if not (header.tied and k == "lm_head.weight")]:
        raise RuntimeError(f"llama2.c mapping incomplete: missing {missing}, extra {unexpected}")
    model.to(torch.float32).eval()
    check_vocab(model, tok, str(out))
    save_model_and_tokenizer(model, tok, out)
    return ImportResult(out=str(out), header=asdict(header), n_params=count_parameters(model),
                        vocab_size=len(tok))

