"""``python -m gmd`` is ``gmd``: the supervisor starts its children this way."""

from gmd.cli import main

main()
