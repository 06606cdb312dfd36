"""The on-disk graph store: Oxigraph databases published as atomic generations.

Holds publishing, the ``CURRENT`` pointer and the build lock (``generations``), the rdflib-to-Oxigraph
bulk-load conversion (``quads``) and SHACL validation against the shapes we ship (``validate``).
May import the kg core only.
"""
