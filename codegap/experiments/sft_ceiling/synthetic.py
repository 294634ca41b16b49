"""Three synthetic students that define what the verdict must say (used by the tests).

They replace the trained students' answers (no training runs):

- `perfect` answers every problem right whatever it was shown: students
  exceed their wrong teachers by about 25 points, so the claim must come
  out `does not hold`;
- `limited` has exactly the claimed limitation: every student writes its
  teacher's answer (right or wrong) at every data size, and the RL contrast,
  which is not bound to the demonstrations, is always right; the claim must
  come out `holds`;
- `random` writes random digits: it must never get `holds` (the clean student
  does not learn the task, so the premise fails).
"""

from __future__ import annotations

import random
from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.sft_ceiling.generator import Problem
from codegap.experiments.sft_ceiling.grader import teacher_answer


def perfect(p: Problem, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return p.answer


def limited(p: Problem, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return p.answer if req.arm == "rl" else teacher_answer(p, req.arm)


def random_model(p: Problem, req: Request, round: int, messages: Any, rng: random.Random) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(len(p.answer)))


POLICIES = {"perfect": perfect, "limited": limited, "random": random_model}
#: the verdict each policy must get at the default budget ("not holds" = anything but holds)
EXPECTED = {"perfect": "does not hold", "limited": "holds", "random": "not holds"}
