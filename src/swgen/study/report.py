"""``swgen study report``: error rates and preference shares with bootstrap 95% intervals.

Real or fake, per run (HYPE-infinity, Zhou et al. 2019): the error rate on real images (real
judged fake), on fake images (fake judged real), and on both together, ``errors / answers``;
50% is chance, above 50% the fakes pass for more real than the real images. With a staircase
(HYPE-time) also the mean over participants of each one's modal exposure (ms).

Preference, per pair of runs: the share of scored trials in which run A's sample was chosen as
the more real (50%: no preference).

Intervals: a two-way bootstrap, since both the participants and the stimuli are samples of
larger populations (HYPE reports bootstrap intervals). Each of ``BOOTSTRAP_RESAMPLES`` resamples
draws, from one ``numpy.random.default_rng(BOOTSTRAP_SEED)`` stream in this order, ``P``
participants with replacement (``rng.integers(0, P, P)``), then, for each stratum of stimuli in
sorted order (real, fake; or the items of a preference study), as many of its stimuli with
replacement. The resampled statistic weighs every answer of participant ``p`` on stimulus ``s``
by (times ``p`` was drawn) x (times ``s`` was drawn):

    rate* = sum_(p,s) w_p w_s y_ps / sum_(p,s) w_p w_s

and the interval is the 2.5th and 97.5th percentiles of the resampled rates (resamples that
kept no answer are dropped). Only participants who finished and passed the catch trials count
(protocol.py states the exclusion rule); the report counts the others.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from swgen.study import db
from swgen.study.protocol import is_excluded, modal_exposure

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


@dataclass
class Answers:
    """The scored answers of the counted participants: one entry per answer."""

    participant: np.ndarray  # participant index, 0 .. P-1
    stimulus: np.ndarray  # stimulus (or item) index, 0 .. S-1
    stratum: np.ndarray  # stratum of each stimulus index (S entries)
    value: np.ndarray  # 1.0 for an error (real-or-fake) or a choice of run A (preference)

    def subset(self, keep: np.ndarray) -> Answers:
        return Answers(self.participant[keep], self.stimulus[keep], self.stratum, self.value[keep])


def bootstrap_interval(
    answers: Answers, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float] | None:
    """The two-way bootstrap 95% interval of the mean of ``answers.value`` (module docstring)."""
    if len(answers.value) == 0:
        return None
    participants = int(answers.participant.max()) + 1
    strata = [np.flatnonzero(answers.stratum == s) for s in np.unique(answers.stratum)]
    rng = np.random.default_rng(seed)
    rates = np.empty(resamples)
    for index in range(resamples):
        drawn = rng.integers(0, participants, participants)
        participant_weight = np.bincount(drawn, minlength=participants)
        stimulus_weight = np.zeros(len(answers.stratum))
        for members in strata:
            picks = members[rng.integers(0, len(members), len(members))]
            stimulus_weight += np.bincount(picks, minlength=len(answers.stratum))
        weight = participant_weight[answers.participant] * stimulus_weight[answers.stimulus]
        total = weight.sum()
        rates[index] = (weight * answers.value).sum() / total if total > 0 else np.nan
    kept = rates[~np.isnan(rates)]
    if len(kept) == 0:
        return None
    return float(np.percentile(kept, 2.5)), float(np.percentile(kept, 97.5))


def participants_bootstrap(
    values: list[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float] | None:
    """95% interval of a mean over participants (HYPE-time), resampling participants."""
    if not values:
        return None
    array = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = [array[rng.integers(0, len(array), len(array))].mean() for _ in range(resamples)]
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def estimate(answers: Answers) -> dict[str, Any]:
    """``{"rate", "interval", "answers"}`` of one set of answers."""
    if len(answers.value) == 0:
        return {"rate": None, "interval": None, "answers": 0}
    return {
        "rate": float(answers.value.mean()),
        "interval": bootstrap_interval(answers),
        "answers": int(len(answers.value)),
    }


def study_report(path: str | Path) -> dict[str, Any]:
    """Every number of the report of the study file at ``path``, as plain values."""
    connection, settings = db.open_study(path)
    try:
        runs = connection.execute("SELECT id, label, model, step FROM runs ORDER BY id").fetchall()
        people = connection.execute(
            "SELECT id, finished IS NOT NULL FROM participants ORDER BY id"
        ).fetchall()
        catches = connection.execute(
            "SELECT participant_id, correct FROM trials "
            "WHERE phase = 'main' AND kind = 'catch' AND answered IS NOT NULL"
        ).fetchall()
        scored = connection.execute(
            "SELECT t.participant_id, t.left_id, t.right_id, t.truth, t.correct, t.choice, "
            "t.exposure_ms, l.run_id, l.item FROM trials t JOIN stimuli l ON l.id = t.left_id "
            "WHERE t.phase = 'main' AND t.kind = 'test' AND t.answered IS NOT NULL "
            "ORDER BY t.participant_id, t.position"
        ).fetchall()
    finally:
        connection.close()
    finished = [person for person, done in people if done]
    catch_results: dict[int, list[bool]] = {person: [] for person in finished}
    for person, correct in catches:
        if person in catch_results:
            catch_results[person].append(bool(correct))
    allowed = settings["catch_errors_allowed"]
    excluded = [p for p in finished if is_excluded(catch_results[p], allowed)]
    counted = [p for p in finished if p not in excluded]
    report: dict[str, Any] = {
        "study": str(path),
        "kind": settings["kind"],
        "exposure": settings["exposure"],
        "trials": settings["trials"],
        "catch_trials": settings["catch_trials"],
        "catch_errors_allowed": allowed,
        "participants": len(people),
        "finished": len(finished),
        "excluded": len(excluded),
        "counted": len(counted),
        "unfinished": len(people) - len(finished),
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED},
        "runs": [{"label": label, "model": model, "step": step} for _, label, model, step in runs],
    }
    index = {person: k for k, person in enumerate(counted)}
    rows = [row for row in scored if row[0] in index]
    if settings["kind"] == "real-or-fake":
        report["real_or_fake"] = real_or_fake_rates(rows, index, runs[0][1], settings)
    else:
        report["preference"] = preference_shares(rows, index, runs)
    return report


def real_or_fake_rates(
    rows: list, index: dict[int, int], label: str, settings: dict
) -> list[dict[str, Any]]:
    stimuli = sorted({row[1] for row in rows})
    position = {stimulus: k for k, stimulus in enumerate(stimuli)}
    truth_of = {row[1]: row[3] for row in rows}
    answers = Answers(
        participant=np.array([index[row[0]] for row in rows], dtype=np.int64),
        stimulus=np.array([position[row[1]] for row in rows], dtype=np.int64),
        stratum=np.array([0 if truth_of[s] == "real" else 1 for s in stimuli], dtype=np.int64),
        value=np.array([0.0 if row[4] else 1.0 for row in rows]),
    )
    truths = np.array([row[3] for row in rows])
    result: dict[str, Any] = {
        "run": label,
        "error_real": estimate(answers.subset(truths == "real")),
        "error_fake": estimate(answers.subset(truths == "fake")),
        "error": estimate(answers),
    }
    if settings["exposure"] == "staircase":
        modes = []
        for person in sorted(index, key=index.get):
            exposures = [row[6] for row in rows if row[0] == person]
            if exposures:
                modes.append(modal_exposure(exposures))
        result["hype_time_ms"] = {
            "mean": float(np.mean(modes)) if modes else None,
            "interval": participants_bootstrap(modes),
            "participants": len(modes),
        }
    return [result]


def preference_shares(rows: list, index: dict[int, int], runs: list) -> list[dict[str, Any]]:
    first, second = runs[0], runs[1]
    items = sorted({row[8] for row in rows})
    position = {item: k for k, item in enumerate(items)}
    chose_first = []
    for _, _, _, _, _, choice, _, left_run, _ in rows:
        first_on_left = left_run == first[0]
        chose_first.append(1.0 if (choice == "left") == first_on_left else 0.0)
    answers = Answers(
        participant=np.array([index[row[0]] for row in rows], dtype=np.int64),
        stimulus=np.array([position[row[8]] for row in rows], dtype=np.int64),
        stratum=np.zeros(len(items), dtype=np.int64),
        value=np.array(chose_first),
    )
    return [{"run_a": first[1], "run_b": second[1], "share_a": estimate(answers)}]


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def with_interval(result: dict[str, Any]) -> str:
    if result["rate"] is None:
        return "-"
    low, high = result["interval"] or (math.nan, math.nan)
    return f"{percent(result['rate'])} [{100 * low:.1f}, {100 * high:.1f}]"


def format_report(report: dict[str, Any]) -> str:
    """The terminal table."""
    lines = [
        f"study '{report['study']}': {report['kind']}"
        + (" (HYPE-time staircase)" if report["exposure"] == "staircase" else "")
        + f"; {report['participants']} participants: {report['counted']} counted, "
        f"{report['excluded']} excluded (more than {report['catch_errors_allowed']} of "
        f"{report['catch_trials']} catch trials wrong), {report['unfinished']} unfinished"
    ]
    if report["kind"] == "real-or-fake":
        header = ("run", "answers", "error on real", "error on fake", "error (HYPE-inf)")
        table = [header]
        for run in report["real_or_fake"]:
            table.append(
                (run["run"], str(run["error"]["answers"]), with_interval(run["error_real"]),
                 with_interval(run["error_fake"]), with_interval(run["error"]))
            )  # fmt: skip
        lines += aligned(table)
        for run in report["real_or_fake"]:
            if "hype_time_ms" in run:
                hype = run["hype_time_ms"]
                if hype["mean"] is not None:
                    low, high = hype["interval"]
                    lines.append(
                        f"HYPE-time of {run['run']}: {hype['mean']:.0f} ms [{low:.0f}, {high:.0f}]"
                        f" (mean modal exposure of {hype['participants']} participants)"
                    )
        lines.append("errors: real judged fake, fake judged real; 50% is chance")
    else:
        table = [("run A", "run B", "answers", "A chosen as more real")]
        for pair in report["preference"]:
            share = pair["share_a"]
            table.append(
                (pair["run_a"], pair["run_b"], str(share["answers"]), with_interval(share))
            )
        lines += aligned(table)
        lines.append("50% is no preference")
    boot = report["bootstrap"]
    lines.append(
        f"[95% bootstrap intervals: {boot['resamples']} resamples of participants and stimuli, "
        f"seed {boot['seed']}]"
    )
    return "\n".join(lines)


def aligned(table: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[k]) for row in table) for k in range(len(table[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in table]  # fmt: skip


# --- the plot (Pillow alone, like swgen.plots) ---------------------------------------------------


def report_plot(report: dict[str, Any], width: int = 640, height: int = 360) -> Image.Image:
    """Bars with their 95% intervals and the 50% line: the error rates of each run (real-or-fake)
    or the share of each pair (preference)."""
    if report["kind"] == "real-or-fake":
        bars = []
        for run in report["real_or_fake"]:
            for key, name in (("error_real", "on real"), ("error_fake", "on fake"),
                              ("error", "overall")):  # fmt: skip
                bars.append((f"{run['run']}\n{name}", run[key]))
        title = "Error rate of people judging real or fake (50% = chance)"
    else:
        bars = [
            (f"{pair['run_a']}\nover {pair['run_b']}", pair["share_a"])
            for pair in report["preference"]
        ]
        title = "Share of trials where run A looked more real (50% = no preference)"
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    left, right, top, bottom = 50, width - 20, 34, height - 60
    draw.text((left, 8), title, fill=(0, 0, 0), font=font)

    def y_of(rate: float) -> float:
        return bottom - rate * (bottom - top)

    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        draw.line([(left, y), (right, y)], fill=(225, 225, 225))
        draw.text((8, y - 6), f"{tick:.0%}", fill=(80, 80, 80), font=font)
    slot = (right - left) / max(1, len(bars))
    for k, (label, result) in enumerate(bars):
        x0, x1 = left + k * slot + slot * 0.2, left + (k + 1) * slot - slot * 0.2
        if result["rate"] is not None:
            draw.rectangle([x0, y_of(result["rate"]), x1, bottom], fill=(31, 119, 180))
            if result["interval"] is not None:
                low, high = result["interval"]
                middle = (x0 + x1) / 2
                draw.line([(middle, y_of(low)), (middle, y_of(high))], fill=(0, 0, 0), width=2)
                for y in (y_of(low), y_of(high)):
                    draw.line([(middle - 6, y), (middle + 6, y)], fill=(0, 0, 0), width=2)
        draw.multiline_text((x0, bottom + 6), label, fill=(0, 0, 0), font=font)
    half = y_of(0.5)
    for x in range(left, right, 12):
        draw.line([(x, half), (x + 6, half)], fill=(200, 40, 40), width=2)
    return image


def write_report(report: dict[str, Any], output: Any) -> list[Path]:
    """``report.json`` and ``report.png`` into ``output`` (a claimed ``OutputFolder``)."""
    data, picture = output.claim(["report.json", "report.png"])
    data.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    report_plot(report).save(picture)
    return [data, picture]
