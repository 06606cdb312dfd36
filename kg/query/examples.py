"""The example SPARQL queries (``seeds/queries/*.rq``) that the dashboard and the endpoint's page offer."""

from __future__ import annotations

from pathlib import Path


def load_examples(folder: str | Path | None) -> list[tuple[str, str]]:
    """(title, text) of each ``*.rq`` file in ``folder``, in file-name order; [] without a folder.

    The title is the text after ``title:`` on a first line that is a comment
    (``# title: ...``), else the file's stem.
    """
    if folder is None:
        return []
    out = []
    for path in sorted(Path(folder).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        title = first.split("title:", 1)[1].strip() if first.startswith("#") and "title:" in first else path.stem
        out.append((title, text))
    return out
