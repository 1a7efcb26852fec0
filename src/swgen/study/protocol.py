"""The rules of a study: each participant's plan of trials, the HYPE-time staircase, the
exclusion rule. Pure functions of the settings and a seed, so the server stays plain plumbing.

Real or fake (HYPE, Zhou et al., NeurIPS 2019, arXiv 1904.01121):

* HYPE-infinity (``exposure: unlimited``): an image stays until the participant answers; the
  score is the error rate over real and fake images, 50% being chance.
* HYPE-time (``exposure: staircase``): a fixation cross, the image for an exposure time, then a
  noise mask, then the choice. The exposure adapts by a staircase, shorter after correct answers
  and longer after errors; the score is the modal exposure reached (the perceptual threshold),
  in ms. The paper's exact rule is not in the text we could reach; we use a 3-down/1-up
  staircase (three correct answers in a row: one step shorter; one error: one step longer),
  which converges where the participant is right 79% of the time (Levitt 1971), on 100 to
  1000 ms in steps of 50 ms, from 500 ms. 100 ms is HYPE's floor.

Preference (two-alternative forced choice, as the SWGAN paper's AMT study and CycleGAN's
perceptual study): a sample of each of two runs side by side, sides randomised and balanced,
"which looks more real?".

Both kinds: a tutorial with feedback first (real against fake for real-or-fake, a real image
against noise for preference); real and fake balanced per participant (half of the scored
trials each); the order shuffled from the study seed and the participant's number; catch trials
(a pure-noise image is obviously fake; beside a real image it is obviously the less real)
mixed in at random places. **Exclusion rule**: a participant who gets more than
``catch_errors_allowed`` catch trials wrong (default 0: any) is excluded from every score, and
counted as excluded in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("real-or-fake", "preference")
EXPOSURES = ("unlimited", "staircase")

# The staircase (see the module docstring): exposures in ms.
STAIRCASE = {"start_ms": 500, "step_ms": 50, "min_ms": 100, "max_ms": 1000, "down_after": 3}
FIXATION_MS = 500  # the cross shown before each timed image


@dataclass(frozen=True)
class PlannedTrial:
    """One trial of a participant's plan: ``left`` (and ``right`` in preference trials) are
    stimulus ids; ``truth`` is the right answer (``real``/``fake``, or the side of the real
    image), ``None`` where there is none (a preference between two runs)."""

    phase: str  # "tutorial" or "main"
    kind: str  # "test" (scored) or "catch"
    left: int
    right: int | None
    truth: str | None


def participant_rng(seed: int, participant: int) -> np.random.Generator:
    """The random stream of one participant's plan: a pure function of the study seed and the
    participant's number, so a study file and an arrival order give the same plans again."""
    return np.random.default_rng([seed, participant])


def plan_trials(
    settings: dict, pools: dict[str, list[int]], rng: np.random.Generator
) -> list[PlannedTrial]:
    """A participant's trials in order: tutorial, then scored and catch trials shuffled together.

    ``pools`` maps a role to its stimulus ids: real-or-fake uses ``real``, ``fake``, ``noise``,
    ``tutorial-real`` and ``tutorial-fake``; preference uses ``real``, ``noise`` and one list
    per run, ``fake:<run id>``, whose n-th entries show the same item (seed or input)."""
    if settings["kind"] == "real-or-fake":
        tutorial = _real_or_fake_tutorial(settings["tutorial_trials"], pools, rng)
        scored = _real_or_fake_scored(settings["trials"], pools, rng)
        catches = [
            PlannedTrial("main", "catch", int(stimulus), None, "fake")
            for stimulus in _draw(pools["noise"], settings["catch_trials"], rng)
        ]
    else:
        tutorial = [
            _real_against_noise("tutorial", "test", pools, rng)
            for _ in range(settings["tutorial_trials"])
        ]
        scored = _preference_scored(settings["trials"], pools, rng)
        catches = [
            _real_against_noise("main", "catch", pools, rng)
            for _ in range(settings["catch_trials"])
        ]
    main = scored + catches
    order = rng.permutation(len(main))
    return tutorial + [main[index] for index in order]


def _draw(pool: list[int], count: int, rng: np.random.Generator) -> list[int]:
    """``count`` ids of ``pool``, without repetition while the pool lasts."""
    drawn: list[int] = []
    while len(drawn) < count:
        take = min(count - len(drawn), len(pool))
        drawn += [int(pool[i]) for i in rng.choice(len(pool), size=take, replace=False)]
    return drawn


def _real_or_fake_tutorial(count: int, pools: dict, rng: np.random.Generator) -> list:
    truths = ["real", "fake"] * (count // 2) + (["real"] if count % 2 else [])
    truths = [truths[i] for i in rng.permutation(len(truths))]
    real = iter(_draw(pools["tutorial-real"], truths.count("real"), rng))
    fake = iter(_draw(pools["tutorial-fake"], truths.count("fake"), rng))
    return [
        PlannedTrial("tutorial", "test", next(real if truth == "real" else fake), None, truth)
        for truth in truths
    ]


def _real_or_fake_scored(count: int, pools: dict, rng: np.random.Generator) -> list:
    """Half real, half fake (``count`` is even), each image at most once."""
    half = count // 2
    real = [PlannedTrial("main", "test", s, None, "real") for s in _draw(pools["real"], half, rng)]
    fake = [PlannedTrial("main", "test", s, None, "fake") for s in _draw(pools["fake"], half, rng)]
    return real + fake


def _real_against_noise(phase: str, kind: str, pools: dict, rng: np.random.Generator):
    real, noise = _draw(pools["real"], 1, rng)[0], _draw(pools["noise"], 1, rng)[0]
    if rng.random() < 0.5:
        return PlannedTrial(phase, kind, real, noise, "left")
    return PlannedTrial(phase, kind, noise, real, "right")


def _preference_scored(count: int, pools: dict, rng: np.random.Generator) -> list:
    """``count`` items, each shown once as run A's sample beside run B's of the same item;
    A on the left in exactly half of them (one more on the right when ``count`` is odd)."""
    first, second = sorted(key for key in pools if key.startswith("fake:"))
    items = _draw(list(range(len(pools[first]))), count, rng)
    left_first = np.zeros(count, dtype=bool)
    left_first[rng.permutation(count)[: count // 2]] = True
    trials = []
    for item, a_left in zip(items, left_first, strict=True):
        a, b = pools[first][item], pools[second][item]
        left, right = (a, b) if a_left else (b, a)
        trials.append(PlannedTrial("main", "test", int(left), int(right), None))
    return trials


def is_correct(truth: str | None, choice: str) -> bool | None:
    """Whether ``choice`` is the right answer; ``None`` for a preference between two runs."""
    return None if truth is None else choice == truth


def next_exposure(exposure_ms: int, streak: int, correct: bool) -> tuple[int, int]:
    """One step of the 3-down/1-up staircase: ``(exposure, streak of correct answers)`` after
    an answer to a scored trial shown at ``exposure_ms``."""
    if not correct:
        return min(STAIRCASE["max_ms"], exposure_ms + STAIRCASE["step_ms"]), 0
    streak += 1
    if streak >= STAIRCASE["down_after"]:
        return max(STAIRCASE["min_ms"], exposure_ms - STAIRCASE["step_ms"]), 0
    return exposure_ms, streak


def modal_exposure(exposures: list[int]) -> int:
    """HYPE-time's score of one participant: the exposure they saw most often (ties: the
    shortest, the conservative choice, as shorter means less realistic)."""
    values, counts = np.unique(np.asarray(exposures, dtype=np.int64), return_counts=True)
    return int(values[counts == counts.max()].min())


def is_excluded(catch_correct: list[bool], errors_allowed: int) -> bool:
    """The exclusion rule: more than ``errors_allowed`` catch trials answered wrong."""
    return sum(not correct for correct in catch_correct) > errors_allowed
