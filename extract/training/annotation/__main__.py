"""``python -m extract.training.annotation``: see :mod:`extract.training.annotation.cli`."""

from extract.training.annotation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
