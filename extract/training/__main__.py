"""``python -m extract.training prepare|train|evaluate|speed`` (see extract.training)."""

from extract.training import main

if __name__ == "__main__":
    raise SystemExit(main())
