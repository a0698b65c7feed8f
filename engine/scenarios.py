"""Named scenarios: small stories that each reproduce one training pathology, with a fix to try."""

from __future__ import annotations

from dataclasses import dataclass

from .config import TrainConfig


@dataclass(frozen=True)
class Scenario:
    """A named starting point: a network config, or (for calculus mode) an objective name."""

    name: str
    story: str
    hint: str
    config: TrainConfig | None = None
    objective: str | None = None

    @property
    def is_calculus(self) -> bool:
        return self.objective is not None


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("default", "A healthy 2-16-16-2 ReLU network learns the two-arm spiral.",
                 "Press ] a few times to raise the learning rate and watch it break.",
                 TrainConfig()),
    )
}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; raises ValueError naming the valid ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}") from None
