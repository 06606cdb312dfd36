"""Human corrections to entity identity, applied on every build.

The file is plain text, one correction a line, fields separated by a TAB,
``#`` starts a comment; keep it under version control::

    merge    ResNet50    ResNet-50          # the second name becomes the first entity
    split    RL                             # this surface form is its own entity again
    rename   ImageNet-1K ImageNet-1k        # preferred label
    retype   COCO        Dataset            # entity type
    reject   memorization                   # not an entity: drop it and its links

Names are written as they appear in papers; case, hyphens and plurals do not
matter (they are compared by canonical key).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ConfigError
from kg.iri import entity_key
from kg.model import EntityType

logger = logging.getLogger(__name__)

_ARITY = {"merge": 2, "split": 1, "rename": 2, "retype": 2, "reject": 1}
HEADER = (
    "# Abstracta corrections, applied on every build (one a line, TAB-separated):\n"
    "#   merge <name> <other name> | split <surface form> | rename <name> <preferred label>\n"
    "#   retype <name> <Method|Dataset|Task|Metric|Concept> | reject <name>\n"
)


@dataclass(frozen=True, slots=True)
class Corrections:
    merges: tuple[tuple[str, str], ...] = ()  # (kept key, merged key)
    splits: frozenset[str] = frozenset()  # keys whose surface forms keep their own identity
    renames: dict[str, str] = field(default_factory=dict)  # key -> preferred label
    retypes: dict[str, EntityType] = field(default_factory=dict)
    rejects: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.merges or self.splits or self.renames or self.retypes or self.rejects)


def parse(text: str, source: str = "corrections") -> Corrections:
    """Parse the corrections format; errors name the line and say what is expected."""
    merges, splits, renames, retypes, rejects = [], set(), {}, {}, set()
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t") if f.strip()]
        verb = fields[0].lower()
        if verb not in _ARITY:
            raise ConfigError(f"{source}:{n}: unknown correction {fields[0]!r}; use one of {', '.join(_ARITY)}")
        args = fields[1:]
        if len(args) != _ARITY[verb]:
            raise ConfigError(f"{source}:{n}: {verb} takes {_ARITY[verb]} TAB-separated name(s), got {len(args)}")
        keys = [entity_key(a) for a in args]
        if verb in ("merge", "split", "reject") and not all(keys):
            raise ConfigError(f"{source}:{n}: {raw.strip()!r} names nothing (empty after normalising)")
        if verb == "merge":
            merges.append((keys[0], keys[1]))
        elif verb == "split":
            splits.add(keys[0])
        elif verb == "rename":
            renames[keys[0]] = args[1]
        elif verb == "retype":
            try:
                retypes[keys[0]] = EntityType(args[1].capitalize())
            except ValueError:
                raise ConfigError(f"{source}:{n}: unknown type {args[1]!r}; use one of "
                                  f"{', '.join(t.value for t in EntityType)}") from None
        else:
            rejects.add(keys[0])
    return Corrections(tuple(merges), frozenset(splits), renames, retypes, frozenset(rejects))


def load(path: str | Path | None) -> Corrections:
    """Read a corrections file; a missing file means no corrections."""
    if path is None:
        return Corrections()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Corrections()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read corrections file {path}: {e}") from e
    return parse(text, str(path))


def append(path: str | Path, verb: str, *names: str) -> None:
    """Add one correction to the file (created with a header if missing), atomically.

    Raises:
        ConfigError: the correction is malformed (the file is left unchanged).
    """
    if any("\t" in n or "\n" in n or "#" in n for n in names):
        raise ConfigError(f"names in corrections cannot contain TAB, newline or '#': {names!r}")
    line = "\t".join((verb, *names)) + "\n"
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.exists() else HEADER
    new = old + ("" if old.endswith("\n") else "\n") + line
    parse(new, str(path))  # refuse to write what the next build could not read
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)
    logger.info("correction added to %s: %s", path, line.strip())


def remove_last(path: str | Path) -> tuple[str, ...] | None:
    """Take the last correction out of the file, atomically: (verb, *names) of the removed line.

    Comments, blank lines and the header stay. None when the file is missing or has no correction.

    Raises:
        ConfigError: the file cannot be read or written.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read corrections file {path}: {e}") from e
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].split("#", 1)[0].strip()), None)
    if last is None:
        return None
    removed = tuple(f.strip() for f in lines[last].split("#", 1)[0].split("\t") if f.strip())
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text("".join(lines[:last] + lines[last + 1:]), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"cannot write corrections file {path}: {e}") from e
    logger.info("correction removed from %s: %s", path, "\t".join(removed))
    return removed
