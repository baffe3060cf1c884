"""Descriptive statistics and 95 % confidence intervals for outcome reports. Pure Python: no Django import,
no SciPy at run time (the t quantile is computed here and checked against SciPy in the tests).

- Mean and sample SD (n - 1), as Python's `statistics.mean` / `statistics.stdev`.
- 95 % CI of a mean: mean +/- t(0.975, n - 1) x SD / sqrt(n).
- 95 % CI of a difference of two means: **Welch's** interval, with the Welch-Satterthwaite degrees of freedom.
  Why Welch and not the pooled-variance interval: clinic programs differ in size and in spread (a program for
  acute flares and one for persistent pain have different SDs of change), and the pooled interval is wrong
  when variances and sizes both differ, while Welch's loses almost nothing when they happen to be equal. It is
  what R's `t.test` does by default and what SciPy's `ttest_ind(equal_var=False)` gives.
- Pearson's correlation r of paired values with the **Fisher z** 95 % interval: tanh(atanh(r) +/- 1.96 /
  sqrt(n - 3)), the usual approximate interval (SciPy's `pearsonr(...).confidence_interval()` by default); it
  needs n >= 4.
- Share of responders with the **Wilson score** 95 % interval (it stays inside 0-1 and behaves at small n and
  at shares near 0 or 1, where the textbook Wald interval does not).

Values come in as numbers (int, float, Decimal or Fraction). Means and variances are computed exactly from
their `Moments` (n, sum, sum of squares, as Fractions; SQL sums the same in whole units) and rounded to float
once; the CIs are float arithmetic: these are summaries of clinical scores reported to one or two decimals. The
clinical thresholds themselves are never decided here (see patients/scoring.py).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

CONFIDENCE = 0.95
Z_975 = NormalDist().inv_cdf(0.975)  # 1.959963984540054


@dataclass(frozen=True)
class Summary:
    """n, mean, SD and the 95 % CI of the mean. SD needs n >= 2 and the CI too; otherwise they are None."""

    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Difference:
    """Difference of two means (a - b) with Welch's 95 % CI and degrees of freedom."""

    n_a: int
    n_b: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None


@dataclass(frozen=True)
class Share:
    """k of n, the proportion and its Wilson 95 % CI (None when n = 0)."""

    k: int
    n: int
    share: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Correlation:
    """Pearson's r over n pairs with its Fisher z 95 % CI: r needs n >= 3 and values that vary (else None), the
    CI n >= 4."""

    n: int
    r: float | None
    ci_low: float | None
    ci_high: float | None


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    # math.fsum: exactly rounded sum, so the mean matches statistics.mean to the last bit or so.
    return math.fsum(values) / len(values)


# --- Student's t distribution ------------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz; Numerical Recipes 6.4)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df > 0 degrees of freedom (df need not be whole: Welch)."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_ppf(p: float, df: float) -> float:
    """Quantile of Student's t: bisection on t_cdf (monotonic), to ~1e-12. Used for p = 0.975."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if p < 0.5:
        return -t_ppf(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


@functools.lru_cache(maxsize=1024)
def t_critical(df: float) -> float:
    """Two-sided 95 % critical value t(0.975, df). Kept per df: a report asks the same few hundred of them for
    every group and timepoint, and each is a bisection of about forty incomplete beta functions."""
    return t_ppf(1.0 - (1.0 - CONFIDENCE) / 2.0, df)


# --- Summaries ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """n, the sum and the sum of squares of some values, exactly (Fractions): all a mean, an SD and their CIs
    need. Moments of two sets add, so SQL can sum each group's values (`reports.selectors` sums scores in whole
    units and scales them here) and the arithmetic below is the same for a list and for a table."""

    n: int = 0
    total: Fraction = Fraction(0)
    squares: Fraction = Fraction(0)

    @classmethod
    def of(cls, values: Iterable[object]) -> Moments:
        """The moments of the values that are not None (int, float, Decimal or Fraction, each taken exactly)."""
        data = [Fraction(v) for v in values if v is not None]  # type: ignore[call-overload]
        return cls(len(data), sum(data, Fraction(0)), sum((v * v for v in data), Fraction(0)))

    @classmethod
    def of_sums(cls, n: int | None, total: object, squares: object, unit: int = 1) -> Moments:
        """From SQL sums of values counted in 1/unit (None sums, as SQL gives for no rows, are 0)."""
        return cls(n or 0, Fraction(total or 0) / unit, Fraction(squares or 0) / (unit * unit))  # type: ignore[call-overload]

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares)

    @property
    def mean(self) -> Fraction:
        return self.total / self.n

    @property
    def variance(self) -> Fraction:
        """Sample variance (denominator n - 1), exact."""
        return (self.squares - self.total * self.total / self.n) / (self.n - 1)

    def summary(self) -> Summary:
        """n, mean, SD and the t-based 95 % CI of the mean."""
        if self.n == 0:
            return Summary(0, None, None, None, None)
        m = float(self.mean)
        if self.n == 1:
            return Summary(1, m, None, None, None)
        s = math.sqrt(self.variance)
        half = t_critical(self.n - 1) * s / math.sqrt(self.n)
        return Summary(self.n, m, s, m - half, m + half)


def summarize(values: Iterable[object]) -> Summary:
    """n, mean, SD and the t-based 95 % CI of the mean; None values are left out."""
    return Moments.of(values).summary()


def welch(a: Moments, b: Moments) -> Difference:
    """Mean of a minus mean of b, with Welch's 95 % CI: se = sqrt(va/na + vb/nb), df by Welch-Satterthwaite
    (va, vb are sample variances). Needs at least two values in each group for a CI."""
    if not a.n or not b.n:
        return Difference(a.n, b.n, None, None, None, None)
    diff = float(a.mean - b.mean)
    if a.n < 2 or b.n < 2:
        return Difference(a.n, b.n, diff, None, None, None)
    va, vb = float(a.variance) / a.n, float(b.variance) / b.n
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference(a.n, b.n, diff, diff, diff, None)
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    half = t_critical(df) * se
    return Difference(a.n, b.n, diff, diff - half, diff + half, df)


def welch_difference(a_values: Iterable[object], b_values: Iterable[object]) -> Difference:
    """`welch` of two lists of values (None left out)."""
    return welch(Moments.of(a_values), Moments.of(b_values))


def wilson_share(k: int, n: int) -> Share:
    """k of n with the Wilson score 95 % interval."""
    if not 0 <= k <= n:
        raise ValueError("k must be between 0 and n")
    if n == 0:
        return Share(0, 0, None, None, None)
    p = k / n
    z2 = Z_975**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_975 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Share(k, n, p, max(0.0, centre - half), min(1.0, centre + half))


def share_of(flags: Iterable[bool | None]) -> Share:
    """Share of True among the flags that are not None (a None flag means the measure was not scored)."""
    known = [f for f in flags if f is not None]
    return wilson_share(sum(1 for f in known if f), len(known))


# --- Correlation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoMoments:
    """n and the sums of x, y, their squares and products, exactly (Fractions): all Pearson's r needs. As with
    `Moments`, SQL can sum each group's pairs (`reports.beliefs`) and the arithmetic is the same for a list."""

    n: int = 0
    x: Fraction = Fraction(0)
    y: Fraction = Fraction(0)
    xx: Fraction = Fraction(0)
    yy: Fraction = Fraction(0)
    xy: Fraction = Fraction(0)

    @classmethod
    def of(cls, pairs: Iterable[tuple[object, object]]) -> CoMoments:
        """The co-moments of the pairs with neither value None (each taken exactly)."""
        data = [(Fraction(x), Fraction(y)) for x, y in pairs if x is not None and y is not None]  # type: ignore[call-overload]
        return cls(
            len(data),
            sum((x for x, _ in data), Fraction(0)),
            sum((y for _, y in data), Fraction(0)),
            sum((x * x for x, _ in data), Fraction(0)),
            sum((y * y for _, y in data), Fraction(0)),
            sum((x * y for x, y in data), Fraction(0)),
        )

    @classmethod
    def of_sums(cls, n: int | None, *sums: object, y_unit: int = 1) -> CoMoments:
        """From SQL sums (x, y, xx, yy, xy; None as 0) of pairs whose y is counted in 1/y_unit."""
        x, y, xx, yy, xy = (Fraction(value or 0) for value in sums)  # type: ignore[call-overload]
        return cls(n or 0, x, y / y_unit, xx, yy / (y_unit * y_unit), xy / y_unit)

    def correlation(self) -> Correlation:
        """Pearson's r and its Fisher z 95 % CI: z = atanh(r), se = 1 / sqrt(n - 3), CI = tanh(z -/+ 1.96 se).
        With r = +/-1 the interval is that point (as SciPy's)."""
        n = self.n
        if n < 3:
            return Correlation(n, None, None, None)
        sxx, syy = self.xx - self.x * self.x / n, self.yy - self.y * self.y / n
        if sxx == 0 or syy == 0:
            return Correlation(n, None, None, None)
        r = float(self.xy - self.x * self.y / n) / math.sqrt(sxx * syy)
        r = max(-1.0, min(1.0, r))
        if n < 4:
            return Correlation(n, r, None, None)
        if abs(r) == 1.0:
            return Correlation(n, r, r, r)
        z, half = math.atanh(r), Z_975 / math.sqrt(n - 3)
        return Correlation(n, r, math.tanh(z - half), math.tanh(z + half))


def pearson(pairs: Iterable[tuple[object, object]]) -> Correlation:
    """Pearson's r of the pairs with neither value None, and its Fisher z 95 % CI (`CoMoments.correlation`)."""
    return CoMoments.of(pairs).correlation()
