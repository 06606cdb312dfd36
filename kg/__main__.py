"""``python -m kg build|export|query|serve|stats|validate|fetch``."""

from kg.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
