"""The report page's figures as text, each held back by the one disclosure rule (`reports.disclosure.too_few`) as
the API and the exports hold them back: a figure resting on too few patients reads "too few", never its value.
Numbers to one decimal as the `floatformat` filter rounds them (half up); a CI only where there is one."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import SafeString

from reports import statistics as st
from reports.disclosure import MIN_GROUP, TOO_FEW, too_few

register = template.Library()


def held_back() -> SafeString:
    return format_html('<span class="few" title="fewer than {} patients">{}</span>', MIN_GROUP, TOO_FEW)


@register.filter(name="too_few")
def too_few_filter(n: int) -> bool:
    return too_few(n)


@register.simple_tag
def count(n: int) -> SafeString | int:
    """A count of patients, or "too few"."""
    return held_back() if too_few(n) else n


@register.simple_tag
def mean_ci(s: st.Summary, places: int = 1, patients: int | None = None) -> SafeString | str:
    """Mean [95 % CI] ("-" with nobody); `patients` when the summary's n counts something else."""
    if too_few(s.n if patients is None else patients):
        return held_back()
    if s.mean is None:
        return "-"
    if s.ci_low is None or s.ci_high is None:
        return floatformat(s.mean, places)
    return format_html(
        '{} <span class="ci">[{}, {}]</span>',
        floatformat(s.mean, places),
        floatformat(s.ci_low, places),
        floatformat(s.ci_high, places),
    )


@register.simple_tag
def mean_sd(s: st.Summary) -> SafeString | str:
    """Mean (SD), the SD only where there is one."""
    if too_few(s.n):
        return held_back()
    if s.mean is None:
        return "-"
    return floatformat(s.mean, 1) if s.sd is None else f"{floatformat(s.mean, 1)} ({floatformat(s.sd, 1)})"


@register.simple_tag
def k_of_n(s: st.Share, patients: int | None = None) -> SafeString | str:
    """k of n; `patients` when n counts weeks rather than patients."""
    return held_back() if too_few(s.n if patients is None else patients) else f"{s.k} of {s.n}"


@register.simple_tag
def correlation(c: st.Correlation) -> SafeString | str:
    if too_few(c.n):
        return held_back()
    if c.r is None:
        return "-"
    if c.ci_low is None or c.ci_high is None:
        return floatformat(c.r, 2)
    return format_html(
        '{} <span class="ci">[{}, {}]</span>', floatformat(c.r, 2), floatformat(c.ci_low, 2), floatformat(c.ci_high, 2)
    )


@register.simple_tag
def difference(d: st.Difference) -> SafeString | str:
    """A difference of two groups' means with its Welch 95 % CI: held back when either group is too few."""
    if too_few(d.n_a, d.n_b):
        return held_back()
    if d.difference is None:
        return "-"
    if d.ci_low is None or d.ci_high is None:
        return floatformat(d.difference, 1)
    return format_html(
        '{} <span class="ci">[{}, {}]</span>',
        floatformat(d.difference, 1),
        floatformat(d.ci_low, 1),
        floatformat(d.ci_high, 1),
    )
