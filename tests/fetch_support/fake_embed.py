"""A deterministic stand-in for MiniLM in the fetcher's tests: hashed bag of words.

Texts sharing words get a higher cosine similarity, so rankings behave sensibly,
and every call is recorded so tests can check what was (not) embedded.
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

DIM = 384


class FakeEncoder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % DIM] += 1.0
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n else out[i]
        return out

    @property
    def texts(self) -> list[str]:
        return [t for c in self.calls for t in c]
