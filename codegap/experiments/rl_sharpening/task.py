"""Arms and requests: which model answers, at which temperature, how many draws.

Every arm draws `samples` answers per problem (the largest k):

| arm | Mode B (organism) | Mode A (served models) |
|---|---|---|
| `base` | the base organism at `temperature` | `base_model` at `temperature` |
| `rl` | the base after verifier-reward RL, at `temperature` | `rl_model` at `temperature` |
| `base_cooled` | the base at the temperature that makes it as certain as the RL model (matched per seed) | `base_model` at `control_temperature` |
| `sft` | the base after as many steps of plain SFT as RL had, at `temperature` | (not available) |

`base_cooled` asks whether RL's narrowing is more than lowering the
temperature gives; `sft` whether it is more than more supervised training
gives. In Mode B the cooled arm's temperature is found per seed after
training, so its request carries NaN (recorded as null) and each of its
samples stores the temperature used.
"""

from __future__ import annotations

from typing import Any

from codegap.experiments.base import Request
from codegap.experiments.rl_sharpening.generator import Problem, mode_a
from codegap.organisms.check import organism_request

ARMS = ("base", "rl", "base_cooled", "sft")
SERVED_ARMS = ("base", "rl", "base_cooled")
#: the roles (which trained model answers) of the organism arms
ORGANISM_ROLES = {"base": "base", "rl": "rl", "base_cooled": "base", "sft": "sft"}
#: temperature of the organism's cooled arm in its requests: matched after training (see module doc)
MATCHED = float("nan")


def served_prompt(p: Problem) -> str:
    return (f"Compute {p.text}.\n\nWork it out step by step if you need to, then finish with exactly one line: "
            "Answer: <the integer>")


def requests(p: Problem, params: dict[str, Any]) -> list[Request]:
    k = int(params["samples"])
    temp = float(params["temperature"])
    if p.mode == "served":
        if not mode_a(params):
            raise ValueError(f"rl-sharpening: {p.id} is a Mode A problem but no served models are given")
        budget = int(params["mode_a_max_tokens"])
        control = float(params["control_temperature"])
        return [Request(arm=arm, prompt=served_prompt(p), max_tokens=budget, epochs=k,
                        temperature=control if arm == "base_cooled" else temp,
                        role="rl" if arm == "rl" else "base")
                for arm in SERVED_ARMS]
    return [organism_request(arm, p.text, draws=k, temperature=MATCHED if arm == "base_cooled" else temp,
                             role=ORGANISM_ROLES[arm], max_tokens=p.digits + 1)
            for arm in ARMS]
