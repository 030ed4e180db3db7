"""Clinical trials into the graph: ClinicalTrials.gov API v2 JSON and TrialGPT's corpus.

Accepted inputs (one file, format by content):

* TrialGPT ``corpus.jsonl``: one ``{"_id", "title", "text", "metadata"}`` per
  line, ``text`` holding "Summary:", "Inclusion criteria:" and "Exclusion
  criteria:" sections (``metadata`` adds conditions, drugs and phase);
* ClinicalTrials.gov API v2: a study object, a list of them, or
  ``{"studies": [...]}`` (``protocolSection`` with identification, status,
  conditions, design, arms/interventions and eligibility modules).

Each trial becomes a ``ClinicalTrial`` node (title, phase, status, summary,
conditions, inclusion and exclusion items) with ``STUDIES`` edges to the Disease
nodes its conditions/title link to and ``TESTS`` edges to the Drug nodes of its
interventions; graph ids mentioned in the exclusion criteria are kept in
``exclusion_ids`` so that matching can refuse excluded patients. Linking uses
the extraction pipeline's names (no negation needed: criteria are not facts).
Everything is parsed and checked before anything is written; re-imports are
idempotent.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medkg.kg.store.base import GraphStore

SOURCE = "clinicaltrials.gov"
_NCT = re.compile(r"^NCT\d{8}$")
_SECTION = re.compile(r"(inclusion|exclusion)\s+criteria\s*:?", re.I)


class TrialFormatError(ValueError):
    pass


@dataclass
class Trial:
    nct_id: str
    title: str
    summary: str = ""
    phase: str = ""
    status: str = ""
    conditions: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    inclusion: list[str] = field(default_factory=list)
    exclusion: list[str] = field(default_factory=list)


def split_criteria(text: str) -> tuple[list[str], list[str]]:
    """Eligibility text -> (inclusion items, exclusion items), one item per bullet/line."""
    parts = _SECTION.split(text or "")
    inc: list[str] = []
    exc: list[str] = []
    target = inc  # text before any heading counts as inclusion
    i = 0
    while i < len(parts):
        chunk = parts[i]
        if chunk and chunk.lower() in ("inclusion", "exclusion") and i + 1 < len(parts):
            target = inc if chunk.lower() == "inclusion" else exc
            i += 1
            continue
        target += _items(chunk)
        i += 1
    return inc, exc


def _items(chunk: str) -> list[str]:
    out = []
    for line in re.split(r"\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s+", chunk):
        item = " ".join(line.split()).strip(" -*•:")
        if len(item) > 3:
            out.append(item)
    return out


def _from_trialgpt(row: dict[str, Any]) -> Trial:
    meta = row.get("metadata") or {}
    text = row.get("text", "")
    summary = meta.get("brief_summary") or text.split("\n", 1)[0].removeprefix("Summary:").strip()
    if meta.get("inclusion_criteria") is not None or meta.get("exclusion_criteria") is not None:
        inc = _items(_SECTION.sub("", meta.get("inclusion_criteria") or ""))
        exc = _items(_SECTION.sub("", meta.get("exclusion_criteria") or ""))
    else:
        inc, exc = split_criteria(text.split("\n", 1)[1] if "\n" in text else "")
    return Trial(
        nct_id=str(row.get("_id", "")), title=row.get("title") or meta.get("brief_title", ""),
        summary=summary, phase=meta.get("phase", "") or "",
        conditions=_as_list(meta.get("diseases_list") or meta.get("diseases")),
        interventions=_as_list(meta.get("drugs_list") or meta.get("drugs")),
        inclusion=inc, exclusion=exc,
    )  # fmt: skip


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("["):
        try:
            return [str(v) for v in ast.literal_eval(value)]
        except (ValueError, SyntaxError):
            return []
    return [value] if isinstance(value, str) and value else []


def _from_ctgov(study: dict[str, Any]) -> Trial:
    p = study.get("protocolSection") or {}
    ident = p.get("identificationModule") or {}
    inc, exc = split_criteria((p.get("eligibilityModule") or {}).get("eligibilityCriteria", ""))
    arms = p.get("armsInterventionsModule") or {}
    return Trial(
        nct_id=ident.get("nctId", ""),
        title=ident.get("briefTitle") or ident.get("officialTitle", ""),
        summary=(p.get("descriptionModule") or {}).get("briefSummary", ""),
        phase=", ".join((p.get("designModule") or {}).get("phases", [])),
        status=(p.get("statusModule") or {}).get("overallStatus", ""),
        conditions=list((p.get("conditionsModule") or {}).get("conditions", [])),
        interventions=[i.get("name", "") for i in arms.get("interventions", [])
                       if i.get("type", "DRUG") in ("DRUG", "BIOLOGICAL", "Drug")],
        inclusion=inc, exclusion=exc,
    )  # fmt: skip


def read_trials(path: str | Path) -> list[Trial]:
    """Parse a corpus file; every problem is listed before anything is returned."""
    path = Path(path)
    if not path.is_file():
        raise TrialFormatError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8")
    trials: list[Trial] = []
    problems: list[str] = []
    stripped = text.lstrip()
    if stripped.startswith("[") or (
        stripped.startswith("{") and "protocolSection" in text[:5000] and "\n{" not in stripped
    ):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TrialFormatError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
        studies = data.get("studies", [data]) if isinstance(data, dict) else data
        trials = [_from_ctgov(s) for s in studies if isinstance(s, dict)]
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path}:{n}: not JSON ({exc.msg})")
                continue
            trials.append(_from_ctgov(row) if "protocolSection" in row else _from_trialgpt(row))
    for t in trials:
        if not _NCT.match(t.nct_id):
            problems.append(f"{path}: trial id {t.nct_id!r} is not an NCT id (NCT + 8 digits)")
        if not t.title:
            problems.append(f"{path}: {t.nct_id}: no title")
    if problems:
        raise TrialFormatError("\n".join(problems))
    if not trials:
        raise TrialFormatError(f"{path}: no trials")
    return trials


@dataclass
class TrialImport:
    trials: int = 0
    created: int = 0
    studies_edges: int = 0
    tests_edges: int = 0


Linker = Callable[[list[str]], list[list[tuple[str, str]]]]  # texts -> [(label, id)] each


def link_trial_texts(trials: list[Trial], link: Linker) -> dict[str, list[tuple[str, str]]]:
    """Every distinct title, condition, intervention and exclusion text -> its links,
    in one ``link`` call (a pipeline call per text costs far more than the texts)."""
    texts = sorted({x for t in trials for x in [*t.conditions, t.title, *t.interventions,
                                                  *t.exclusion]})  # fmt: skip
    return dict(zip(texts, link(texts), strict=True))


def import_trials(store: GraphStore, trials: list[Trial], link: Linker) -> TrialImport:
    """Write trials and their links; ``link`` maps a batch of texts to graph (label, id)
    pairs per text."""
    linked = link_trial_texts(trials, link)

    rows, studies, tests = [], {}, {}
    for t in trials:
        conds = {
            nid for x in [*t.conditions, t.title] for lab, nid in linked[x] if lab == "Disease"
        }
        drugs = {nid for text in t.interventions for lab, nid in linked[text] if lab == "Drug"}
        excluded = sorted(
            {nid for text in t.exclusion for lab, nid in linked[text] if lab in ("Disease", "Drug")}
        )
        rows.append({
            "id": t.nct_id, "name": t.title, "title": t.title, "summary": t.summary,
            "phase": t.phase, "status": t.status, "conditions": t.conditions,
            "inclusion": t.inclusion, "exclusion": t.exclusion, "exclusion_ids": excluded,
            "source": SOURCE, "url": f"https://clinicaltrials.gov/study/{t.nct_id}",
        })  # fmt: skip
        for d in conds:
            studies[(t.nct_id, d)] = {"start": t.nct_id, "end": d, "source": SOURCE}
        for d in drugs:
            tests[(t.nct_id, d)] = {"start": t.nct_id, "end": d, "source": SOURCE}
    result = TrialImport(trials=len(trials))
    result.created = store.import_nodes("ClinicalTrial", rows).created
    result.studies_edges = store.import_edges(
        "STUDIES", "ClinicalTrial", "Disease", list(studies.values())
    ).created
    result.tests_edges = store.import_edges(
        "TESTS", "ClinicalTrial", "Drug", list(tests.values())
    ).created
    return result
