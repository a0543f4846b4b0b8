"""``python -m lrwatch``: the ``lrwatch`` command, where the console script is not on PATH."""

from lrwatch.cli import main

main()
