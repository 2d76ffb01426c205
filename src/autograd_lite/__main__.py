"""``python -m autograd_lite ...`` runs the command line (``autograd-lite ...``)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
