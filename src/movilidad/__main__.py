"""``python -m movilidad`` runs the command line."""

from movilidad.cli import main

main()
