"""Is a metric's change noise? Tests of the difference between two sides' per-point results.

Paired (both sides scored the same test points): McNemar's exact test for accuracy, on the points
that exactly one side gets right, and a paired t-test for per-point losses and squared errors.
Unpaired (different test points): Welch's t-test on the per-point values (for accuracy, each
point's 0/1 correctness). Every test returns the change ``new - base`` of the metric, its 95 %
interval and a two-sided p-value. Pure functions of NumPy arrays; tests/gate/test_stats.py
checks them against scipy.stats on constructed cases.
"""

import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95  # of every interval in the report
DEFAULT_LEVEL = 0.05  # "significant" below this p-value, when a rule names no significant_at


@dataclass(frozen=True)
class Test:
    """A change, its interval and p-value, and how it was computed."""

    method: str
    change: float  # new - base, in the metric's units
    low: float
    high: float
    p_value: float
    points: int  # test points on the new side

    def significant(self, level: float = DEFAULT_LEVEL) -> bool:
        return self.p_value < level

    def word(self, level: float = DEFAULT_LEVEL) -> str:
        return "significant" if self.significant(level) else "within noise"


def mcnemar(base_correct: np.ndarray, new_correct: np.ndarray) -> Test:
    """Paired accuracy: McNemar's exact test and the exact conditional interval of the change.

    Of the ``d`` points that exactly one side gets right, ``gained`` are right only on the new
    side. Under no change each is a fair coin, so the p-value is the two-sided binomial tail of
    ``gained`` in ``d`` draws of p = 1/2. The interval is Clopper-Pearson's for that proportion,
    mapped to the accuracy change ``d / n * (2 p - 1)``.
    """
    base_correct, new_correct = np.asarray(base_correct, bool), np.asarray(new_correct, bool)
    n = len(new_correct)
    gained = int(np.sum(new_correct & ~base_correct))
    lost = int(np.sum(base_correct & ~new_correct))
    discordant = gained + lost
    change = (gained - lost) / n
    if discordant == 0:
        return Test("McNemar's exact test", 0.0, 0.0, 0.0, 1.0, n)
    from scipy import stats  # imported where used: the gate's other paths do without scipy

    tail = sum(math.comb(discordant, k) for k in range(min(gained, lost) + 1))
    p_value = min(1.0, 2 * tail / 2**discordant)
    alpha = 1 - CONFIDENCE
    p_low = stats.beta.ppf(alpha / 2, gained, lost + 1) if gained else 0.0
    p_high = stats.beta.ppf(1 - alpha / 2, gained + 1, lost) if lost else 1.0
    scale = discordant / n
    low, high = scale * (2 * p_low - 1), scale * (2 * p_high - 1)
    return Test("McNemar's exact test", change, float(low), float(high), p_value, n)


def _t_test(method: str, change: float, error: float, dof: float, n: int) -> Test:
    """A t-test's result from the change, its standard error and degrees of freedom."""
    if error == 0:  # every point moved by the same amount (or none did)
        return Test(method, change, change, change, 1.0 if change == 0 else 0.0, n)
    from scipy import stats

    p_value = 2 * stats.t.sf(abs(change / error), dof)
    half = stats.t.ppf((1 + CONFIDENCE) / 2, dof) * error
    return Test(method, change, change - half, change + half, float(p_value), n)


def paired_t(base_values: np.ndarray, new_values: np.ndarray) -> Test:
    """Paired mean values (loss, squared error): the t-test on per-point differences."""
    differences = np.asarray(new_values, float) - np.asarray(base_values, float)
    n = len(differences)
    error = float(np.std(differences, ddof=1) / math.sqrt(n))
    return _t_test("paired t-test", float(np.mean(differences)), error, n - 1, n)


def welch_t(base_values: np.ndarray, new_values: np.ndarray) -> Test:
    """Unpaired mean values: Welch's t-test (unequal variances, Welch-Satterthwaite dof)."""
    base_values, new_values = np.asarray(base_values, float), np.asarray(new_values, float)
    shares = [np.var(values, ddof=1) / len(values) for values in (base_values, new_values)]
    error = math.sqrt(sum(shares))
    dof = (
        sum(shares) ** 2
        / sum(
            share**2 / (len(values) - 1)
            for share, values in zip(shares, (base_values, new_values), strict=True)
        )
        if error
        else 1.0
    )
    change = float(np.mean(new_values) - np.mean(base_values))
    return _t_test("Welch's t-test", change, error, dof, len(new_values))


def compare_points(
    base_values: np.ndarray, new_values: np.ndarray, *, paired: bool, kind: str
) -> Test:
    """The test that fits: ``kind`` is "correct" (0/1 per point) or "mean" (per-point values)."""
    if paired and kind == "correct":
        return mcnemar(base_values, new_values)
    if paired:
        return paired_t(base_values, new_values)
    return welch_t(base_values, new_values)
