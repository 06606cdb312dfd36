"""``python -m extract.training``: training, evaluation and gazetteer commands (see extract.training.cli)."""

from extract.training.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
