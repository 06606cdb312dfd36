"""Entry point of the query worker process started by ``kg.sparql.QueryRunner``."""

import sys

from kg.sparql import serve_worker

if __name__ == "__main__":
    serve_worker(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
