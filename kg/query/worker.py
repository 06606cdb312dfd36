"""Entry point of the worker processes started by ``kg.query.runner``.

``python -m kg.query.worker DB``: answer queries read from stdin (``QueryRunner``).
``python -m kg.query.worker --update DB``: apply one update read from stdin (``run_update``).

Both give up the network first (``kg.query.sandbox``): whatever a query says, the engine makes no request.
"""

import os
import sys

from kg.errors import QueryError
from kg.query.runner import apply_update_in_worker, serve_worker
from kg.query.sandbox import deny_network

if __name__ == "__main__":
    deny_network()
    if sys.argv[1] == "--update":
        try:
            sys.stdout.write(f"{apply_update_in_worker(sys.argv[2], sys.stdin.read())}\n")  # the protocol answer
        except QueryError as e:
            sys.stderr.write(str(e).replace("\n", " ") + "\n")
            raise SystemExit(2) from None
    else:
        if sys.argv[2:4] and sys.argv[2] == "--nice":  # the service's lane for long queries
            os.nice(int(sys.argv[3]))
        serve_worker(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
