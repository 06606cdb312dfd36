"""``python -m extract.training prepare|train|evaluate|speed`` (see extract.training.cli)."""

from extract.training.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
