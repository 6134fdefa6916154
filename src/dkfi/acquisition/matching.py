"""Opportunity matching for joint procurement: which Danish and Finnish plan items could be bought together.

Pure logic, no I/O: plan items in, scored Danish-Finnish pairs out, each with the factors that made its score so a
planner can see why two items were put side by side. Four factors, weighted and summed to a score in 0..1:

- ``codes``: agreement of the item codes, the better of NSN and CPV (same NSN 1.0, same supply class 0.7, same
  supply group 0.4; CPV 8 digits 1.0, class 0.6, group 0.4, division 0.2);
- ``description``: cosine similarity of the two descriptions, from a static sentence-embedding model that ships
  inside its wheel when one is installed, else TF-IDF over words and character n-grams computed here;
- ``capability_area``: 1.0 when both items serve the same capability area;
- ``delivery``: 1.0 when the delivery windows overlap, falling linearly to 0 at a gap of a year.

Codes and descriptions carry most of the weight: capability area and timing alone say two items *could* be bought
in the same campaign, not that they are the same thing. See ``docs/acquisition.md`` ("Opportunity matching").
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from typing import Any, Callable, Iterable, Literal, Sequence

import numpy as np

# Weights sum to 1, so the weighted sum is already the score in 0..1. The description carries half: it is the one
# factor every item has. Codes 0.3: an agreeing NSN is strong evidence, but plans often lack codes or carry coarse
# ones (a shared supply class or CPV category also holds different items). Context (capability area, timing) 0.2,
# below the default threshold, so two unrelated items in one capability area at one time never match on context.
WEIGHTS: dict[str, float] = {"codes": 0.30, "description": 0.50, "capability_area": 0.10, "delivery": 0.10}
DEFAULT_MIN_SCORE = 0.35
DELIVERY_HORIZON_DAYS = 365

NSN_LEVELS = {"nsn": 1.0, "supply_class": 0.7, "supply_group": 0.4}
CPV_LEVELS = {8: 1.0, 4: 0.6, 3: 0.4, 2: 0.2}

DNK = "DNK"
FIN = "FIN"
_NATIONS = {"DNK": DNK, "DK": DNK, "DENMARK": DNK, "FIN": FIN, "FI": FIN, "FINLAND": FIN}

Backend = Literal["auto", "embedding", "tfidf"]
EMBEDDING_PACKAGE = "tokenlearn-static-model"

_NSN = re.compile(r"^(\d{4})-(\d{2})-(\d{3})-(\d{4})$")
_CPV = re.compile(r"^(\d{8})(?:-\d)?$")


class MatchingError(ValueError):
    """Input that matching cannot use: a malformed code, an unknown nation, an unavailable backend."""


@dataclass(frozen=True)
class PlanItem:
    """One nation's planned acquisition, as far as matching needs it."""
    id: str
    nation: str
    description: str
    capability_area: str
    nsn: str | None = None          # normalised "FSC-NCB-SSS-SSSS", e.g. "1320-25-123-4567"
    cpv: str | None = None          # 8 digits, e.g. "35331000" (a trailing check digit "-7" is accepted)
    quantity: float = 1
    delivery_start: date = date.min
    delivery_end: date = date.max


@dataclass(frozen=True)
class Match:
    """A Danish and a Finnish item that could be bought together, with the score and the factors behind it."""
    dnk: str
    fin: str
    score: float
    factors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"dnk": self.dnk, "fin": self.fin, "score": self.score, "factors": [dict(f) for f in self.factors]}


@dataclass(frozen=True)
class MatchResult:
    """The matches, best first, and the description backend that scored them."""
    matches: list[Match]
    backend: str

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape: ``{"matches": [...], "backend": ...}``."""
        return {"matches": [m.as_dict() for m in self.matches], "backend": self.backend}


# ---- factors ------------------------------------------------------------------------------------------------

def nsn_similarity(a: str | None, b: str | None) -> float | None:
    """Same NSN 1.0, same supply class (FSC) 0.7, same supply group (first two FSC digits) 0.4, else 0; None when
    either item has no NSN."""
    if not a or not b:
        return None
    ma, mb = _NSN.match(a), _NSN.match(b)
    if not ma or not mb:
        raise MatchingError(f"NSN not in the form FSC-NCB-SSS-SSSS: {a if not ma else b!r}")
    if a == b:
        return NSN_LEVELS["nsn"]
    if ma.group(1) == mb.group(1):
        return NSN_LEVELS["supply_class"]
    if ma.group(1)[:2] == mb.group(1)[:2]:
        return NSN_LEVELS["supply_group"]
    return 0.0


def _cpv_digits(code: str) -> str:
    m = _CPV.match(code.strip())
    if not m:
        raise MatchingError(f"CPV code not 8 digits: {code!r}")
    return m.group(1)


def _cpv_specificity(code: str) -> int:
    # Trailing zeros are padding, not agreement: "35000000" says only "division 35".
    return max(2, len(code.rstrip("0")))


def cpv_similarity(a: str | None, b: str | None) -> float | None:
    """Agreement of two CPV codes by shared prefix: all 8 digits 1.0, class (4) 0.6, group (3) 0.4, division (2)
    0.2, else 0; None when either item has no CPV.

    Only significant digits agree: zero padding is not agreement, so two identical codes "35331000" (a category,
    five significant digits) agree at the class level (0.6), and "35000000" twice only at the division (0.2).
    CPV codes in plans are often this coarse, and a shared coarse code says little about the item.
    """
    if not a or not b:
        return None
    ca, cb = _cpv_digits(a), _cpv_digits(b)
    common = 0
    while common < 8 and ca[common] == cb[common]:
        common += 1
    level = min(common, _cpv_specificity(ca), _cpv_specificity(cb))
    for digits in (8, 4, 3, 2):
        if level >= digits:
            return CPV_LEVELS[digits]
    return 0.0


def code_similarity(a: PlanItem, b: PlanItem) -> float:
    """The better of NSN and CPV agreement; 0 when the two items share no code system (no evidence either way)."""
    values = [v for v in (nsn_similarity(a.nsn, b.nsn), cpv_similarity(a.cpv, b.cpv)) if v is not None]
    return max(values, default=0.0)


def capability_similarity(a: PlanItem, b: PlanItem) -> float:
    """1.0 for the same capability area (case and spacing ignored), else 0."""
    return 1.0 if _norm_label(a.capability_area) == _norm_label(b.capability_area) else 0.0


def delivery_similarity(a: PlanItem, b: PlanItem, horizon_days: int = DELIVERY_HORIZON_DAYS) -> float:
    """1.0 when the delivery windows overlap (or touch), else 1 - gap/365, and 0 from a year apart."""
    gap = (max(a.delivery_start, b.delivery_start) - min(a.delivery_end, b.delivery_end)).days
    if gap <= 0:
        return 1.0
    return max(0.0, 1.0 - gap / horizon_days)


def _norm_label(s: str) -> str:
    return " ".join(s.casefold().replace("_", " ").replace("-", " ").split())


# ---- description similarity ---------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    # Accents folded so "pimeänäkölaite" and "pimeanakolaite" meet; units glued ("155 mm" == "155mm").
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"(\d)\s+(mm|cm|m|kg|km|t)\b", r"\1\2", text)


def _features(text: str) -> Counter[str]:
    words = _WORD.findall(_fold(text))
    feats: Counter[str] = Counter("w:" + w for w in words)
    for w in words:
        padded = f" {w} "
        for n in (3, 4, 5):
            feats.update("c:" + padded[i:i + n] for i in range(len(padded) - n + 1))
    return feats


def tfidf_similarity(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """Cosine similarity (rows: ``left``, columns: ``right``) of TF-IDF vectors over words and 3-5 character
    n-grams, with IDF from both lists together. Sublinear TF (1 + log tf), smoothed IDF."""
    docs = [_features(t) for t in (*left, *right)]
    n = len(docs)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    idf = {f: math.log((1 + n) / (1 + c)) + 1.0 for f, c in df.items()}
    weighted = [{f: (1.0 + math.log(tf)) * idf[f] for f, tf in d.items()} for d in docs]
    norms = [math.sqrt(sum(v * v for v in d.values())) or 1.0 for d in weighted]
    # Only features present on both sides add to a cross dot product: the dense matrix needs no others.
    left_feats = set().union(*(d.keys() for d in weighted[:len(left)])) if left else set()
    right_feats = set().union(*(d.keys() for d in weighted[len(left):])) if right else set()
    shared = {f: i for i, f in enumerate(sorted(left_feats & right_feats))}
    m = np.zeros((n, max(1, len(shared))))
    for row, (vec, norm) in enumerate(zip(weighted, norms)):
        for f, v in vec.items():
            col = shared.get(f)
            if col is not None:
                m[row, col] = v / norm
    return np.clip(m[:len(left)] @ m[len(left):].T, 0.0, 1.0)


def _embedding_encoder() -> tuple[str, Callable[[list[str]], np.ndarray]] | None:
    """The packaged static embedding model, or None when it is not installed. Its weights are inside the wheel:
    nothing is downloaded."""
    try:
        from static_model import get_embeddings
    except ImportError:
        return None
    try:
        version = metadata.version(EMBEDDING_PACKAGE)
    except metadata.PackageNotFoundError:
        version = "?"

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(get_embeddings(texts), dtype=float).reshape(len(texts), -1)

    return f"embedding:{EMBEDDING_PACKAGE}-{version}", encode


def embedding_available() -> bool:
    """Whether the embedding backend can be used here."""
    return _embedding_encoder() is not None


def embedding_similarity(left: Sequence[str], right: Sequence[str],
                         encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Cosine similarity of sentence embeddings, negatives clipped to 0."""
    if not left or not right:
        return np.zeros((len(left), len(right)))
    vectors = encode([_fold(t) for t in (*left, *right)])
    # Static embeddings share a common direction that makes every pair look alike (cosine 0.3-0.5 for unrelated
    # texts); removing the mean vector of the texts being compared spreads the cosines out.
    if len(vectors) > 2:
        vectors = vectors - vectors.mean(axis=0)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.clip(vectors[:len(left)] @ vectors[len(left):].T, 0.0, 1.0)


def description_similarity(left: Sequence[str], right: Sequence[str],
                           backend: Backend = "auto") -> tuple[np.ndarray, str]:
    """Similarity matrix of two lists of descriptions, and the name of the backend that computed it."""
    if backend not in ("auto", "embedding", "tfidf"):
        raise MatchingError(f"unknown backend {backend!r}: auto, embedding or tfidf")
    if backend != "tfidf":
        encoder = _embedding_encoder()
        if encoder is not None:
            name, encode = encoder
            return embedding_similarity(left, right, encode), name
        if backend == "embedding":
            raise MatchingError(f"embedding backend not installed (pip install {EMBEDDING_PACKAGE})")
    return tfidf_similarity(left, right), "tfidf"


# ---- matching -----------------------------------------------------------------------------------------------

def nation_of(item: PlanItem) -> str:
    """The item's nation as DNK or FIN."""
    nation = _NATIONS.get(item.nation.strip().upper())
    if nation is None:
        raise MatchingError(f"item {item.id}: nation {item.nation!r} is neither Denmark nor Finland")
    return nation


def score_pair(dnk: PlanItem, fin: PlanItem, description: float) -> tuple[float, list[dict[str, Any]]]:
    """The score of one pair given its description similarity, and its factors."""
    values = {
        "codes": code_similarity(dnk, fin),
        "description": description,
        "capability_area": capability_similarity(dnk, fin),
        "delivery": delivery_similarity(dnk, fin),
    }
    total = sum(WEIGHTS.values())
    score = sum(WEIGHTS[k] * v for k, v in values.items()) / total
    factors = [{"factor": k, "value": round(float(v), 4), "weight": WEIGHTS[k]} for k, v in values.items()]
    return round(float(score), 4), factors


def match(items: Iterable[PlanItem], *, dismissed: Iterable[tuple[str, str]] = frozenset(),
          min_score: float = DEFAULT_MIN_SCORE, backend: Backend = "auto") -> MatchResult:
    """Every Danish-Finnish pair of ``items`` scoring at least ``min_score``, best first; pairs in ``dismissed``
    (``(dnk_id, fin_id)``) are never returned."""
    items = list(items)
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise MatchingError("item ids must be unique")
    dk = [i for i in items if nation_of(i) == DNK]
    fi = [i for i in items if nation_of(i) == FIN]
    sims, name = description_similarity([i.description for i in dk], [i.description for i in fi], backend)
    skip = set(dismissed)
    out: list[Match] = []
    for r, a in enumerate(dk):
        for c, b in enumerate(fi):
            if (a.id, b.id) in skip:
                continue
            score, factors = score_pair(a, b, float(sims[r, c]))
            if score >= min_score:
                out.append(Match(a.id, b.id, score, factors))
    out.sort(key=lambda m: (-m.score, m.dnk, m.fin))
    return MatchResult(out, name)


def groups(matches: Iterable[Match]) -> list[list[str]]:
    """Connected components of matched items (a Danish item matching two Finnish ones is one group of three),
    each sorted, largest first."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in matches:
        ra, rb = find(m.dnk), find(m.fin)
        if ra != rb:
            parent[rb] = ra
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in members.values()), key=lambda g: (-len(g), g))
