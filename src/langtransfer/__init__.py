"""langtransfer: move an English-centric LLM into another language and measure the move.

Heavy modules (torch, transformers) are imported only by the stages that need them.
"""

__version__ = "0.1.0"
