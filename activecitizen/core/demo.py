"""Demo data steps that `manage.py seed_demo` runs after creating the demo people.

Sections sit above accounts, which owns the command, so each section registers its own step
from its AppConfig.ready(). Every step must be idempotent: `make run` seeds on every start.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[random.Random], str]  # returns one line for the report
    order: int = 100


_steps: dict[str, DemoStep] = {}


def register_demo_step(name: str, run: Callable[[random.Random], str], *, order: int = 100) -> None:
    _steps[name] = DemoStep(name=name, run=run, order=order)


def demo_steps() -> list[DemoStep]:
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
