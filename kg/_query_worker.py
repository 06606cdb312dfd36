"""Entry point of the worker processes started by ``kg.sparql``.

``python -m kg._query_worker DB``: answer queries read from stdin (``QueryRunner``).
``python -m kg._query_worker --update DB``: apply one update read from stdin (``run_update``).
"""

import sys

from kg.errors import QueryError
from kg.sparql import apply_update_in_worker, serve_worker

if __name__ == "__main__":
    if sys.argv[1] == "--update":
        try:
            sys.stdout.write(f"{apply_update_in_worker(sys.argv[2], sys.stdin.read())}\n")  # the protocol answer
        except QueryError as e:
            sys.stderr.write(str(e).replace("\n", " ") + "\n")
            raise SystemExit(2) from None
    else:
        serve_worker(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
