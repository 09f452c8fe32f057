"""`python -m langtransfer` is the CLI."""

from langtransfer.cli import main

main()
