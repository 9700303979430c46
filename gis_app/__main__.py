"""``python -m gis_app`` is the ``sanigrid`` command."""
from .cli import main

main()
