"""The minimum detectable effect of a holdout: the smallest true lift in turnout that a
two-sided test at 5% would detect with 80% power, for the audience size, the share held back
and a baseline turnout (normal approximation for a difference of two proportions).

    MDE = (z(1 - alpha/2) + z(power)) * sqrt(p (1 - p) (1/n_treated + 1/n_control))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm  # type: ignore[import-untyped]

ALPHA = 0.05
POWER = 0.80
DEFAULT_BASELINE = 0.55


@dataclass(frozen=True)
class Detectable:
    """What a holdout can tell: its arms' sizes and the smallest lift it would detect."""

    audience: int
    share: float
    treated: int
    control: int
    baseline: float
    mde: float | None  # a share (0.021 = 2.1 points); None when an arm is empty


def minimum_detectable_effect(
    audience: int,
    share: float,
    baseline: float = DEFAULT_BASELINE,
    *,
    alpha: float = ALPHA,
    power: float = POWER,
) -> Detectable:
    """The MDE of holding back `share` of `audience` contacts at `baseline` turnout."""
    control = math.floor(audience * share + 0.5)
    treated = audience - control
    if control <= 0 or treated <= 0 or not 0.0 < baseline < 1.0:
        return Detectable(audience, share, treated, control, baseline, None)
    z = float(norm.ppf(1 - alpha / 2) + norm.ppf(power))
    se = math.sqrt(baseline * (1 - baseline) * (1 / treated + 1 / control))
    return Detectable(audience, share, treated, control, baseline, z * se)
