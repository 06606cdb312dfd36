"""``python -m extract run`` (training and evaluation: ``python -m extract.training``)."""

from extract.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
