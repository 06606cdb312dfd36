"""The dashboard's read model: plain data out of the stored graph and its snapshot.

Papers, entity search, evidence, curation lists, leaderboard rows, relations,
counts and networkx views, all consumed before they are returned so that
callers may cache them; and the snapshot (``snapshot``) a build writes once at publish
time so that no page view has to compute it. Imports kg core (model, errors, iri, vocab,
config) and kg.store only; nothing here writes the graph.
"""
