"""``python -m extract run|gazetteer``."""

from extract.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
