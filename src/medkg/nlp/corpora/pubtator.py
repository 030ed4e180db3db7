"""PubTator files (BC5CDR): abstracts, mentions with MeSH ids, CID relations.

Layout, one block per abstract separated by blank lines::

    227508|t|Naloxone reverses the antihypertensive effect of clonidine.
    227508|a|In unanesthetized, spontaneously hypertensive rats ...
    227508<TAB>0<TAB>8<TAB>Naloxone<TAB>Chemical<TAB>D009270
    227508<TAB>CID<TAB>D008750<TAB>D007022

Offsets index the title and abstract joined by one space. A composite mention
may carry several ids joined by ``|``; ``-1`` means no id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: BC5CDR in the shared data folder: the training abstracts (the file as shipped
#: repeats the development ones) and the development abstracts, an evaluation set
#: that every training command leaves out.
BC5CDR_TRAIN = Path("bc5cdr/CDR_TrainingSet.PubTator.txt")
BC5CDR_DEV = Path("bc5cdr/CDR_DevelopmentSet.PubTator.txt")


class PubTatorFormatError(ValueError):
    pass


@dataclass(frozen=True)
class PtMention:
    start: int
    end: int
    text: str
    type: str  # Chemical | Disease
    ids: tuple[str, ...]


@dataclass
class PtDocument:
    pmid: str
    title: str = ""
    abstract: str = ""
    mentions: list[PtMention] = field(default_factory=list)
    cid: set[tuple[str, str]] = field(default_factory=set)  # (chemical id, disease id)

    @property
    def text(self) -> str:
        return f"{self.title} {self.abstract}"


def read_pubtator(path: str | Path) -> list[PtDocument]:
    path = Path(path)
    if not path.is_file():
        raise PubTatorFormatError(f"{path}: no such file")
    docs: dict[str, PtDocument] = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if "|t|" in line[:20] or "|a|" in line[:20]:
            pmid, kind, text = line.split("|", 2)
            doc = docs.setdefault(pmid, PtDocument(pmid))
            if kind == "t":
                doc.title = text
            else:
                doc.abstract = text
            continue
        parts = line.split("\t")
        doc = docs.setdefault(parts[0], PtDocument(parts[0]))
        if len(parts) == 4 and parts[1] == "CID":
            doc.cid.add((parts[2], parts[3]))
        elif len(parts) >= 6:
            ids = tuple(i for i in parts[5].split("|") if i and i != "-1")
            doc.mentions.append(PtMention(int(parts[1]), int(parts[2]), parts[3], parts[4], ids))
        else:
            raise PubTatorFormatError(
                f"{path}:{line_no}: not a title, abstract, mention or CID line"
            )
    if not docs:
        raise PubTatorFormatError(f"{path}: no documents")
    return list(docs.values())


def split_training_set(
    train_path: Path, dev_path: Path
) -> tuple[list[PtDocument], list[PtDocument]]:
    """BC5CDR's TrainingSet file as shipped repeats the development abstracts: drop them."""
    dev = read_pubtator(dev_path)
    dev_ids = {d.pmid for d in dev}
    return [d for d in read_pubtator(train_path) if d.pmid not in dev_ids], dev


def training_abstracts(train_path: Path, exclude_path: Path | None = None) -> list[PtDocument]:
    """The abstracts of ``train_path`` that ``exclude_path`` (an evaluation file)
    does not hold; all of them when there is no such file."""
    if exclude_path is not None and exclude_path.is_file():
        return split_training_set(train_path, exclude_path)[0]
    return read_pubtator(train_path)
