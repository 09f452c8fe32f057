"""Instruction prompt templates, shared by SFT (training) and evaluation (generation).

A model must be prompted at evaluation with exactly the template it was tuned with, so both
stages import `render_prompt` from here. `alpaca` is Stanford Alpaca's template (what
Chinese-LLaMA-Alpaca used); `alpaca_short` drops its preamble — for tiny models the 30-token
preamble is pure overhead.
"""

from __future__ import annotations

from langtransfer.errors import ConfigError

_ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task{ctx}. "
    "Write a response that appropriately completes the request.\n\n"
)

TEMPLATES: dict[str, tuple[str, str]] = {
    # name: (template without input, template with input)
    "alpaca": (
        _ALPACA_PREAMBLE.format(ctx="")
        + "### Instruction:\n{instruction}\n\n### Response:\n",
        _ALPACA_PREAMBLE.format(ctx=", paired with an input that provides further context")
        + "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
    ),
    "alpaca_short": (
        "### Instruction:\n{instruction}\n\n### Response:\n",
        "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
    ),
}


def render_prompt(instruction: str, input: str = "", template: str = "alpaca_short") -> str:
    """The prompt text that precedes the response."""
    if template not in TEMPLATES:
        raise ConfigError(f"unknown prompt template '{template}' (known: {', '.join(TEMPLATES)})")
    plain, with_input = TEMPLATES[template]
    if input and input.strip():
        return with_input.format(instruction=instruction, input=input)
    return plain.format(instruction=instruction)
