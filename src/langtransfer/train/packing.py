"""Moved to `langtransfer.data.packing` (the data layer owns tokenising and packing); this
module re-exports it so `from langtransfer.train.packing import ...` keeps working."""

from langtransfer.data.packing import *  # noqa: F401,F403
from langtransfer.data.packing import __all__  # noqa: F401
