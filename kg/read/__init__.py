"""The dashboard's read model: plain data out of the stored graph and its snapshot.

Papers, entity search, evidence, curation lists, leaderboard rows, relations,
counts and networkx views, all consumed before they are returned so that
callers may cache them. Imports kg core (model, errors, iri, vocab, config)
and kg.store only; nothing here writes.
"""
