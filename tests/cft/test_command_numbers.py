"""Management commands refuse numbers outside what they can use, naming the option (issue 40): no database error
from an id of 2**70, no loop over a batch of 0."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


@pytest.mark.parametrize(
    ("command", "args", "option"),
    [
        (
            "export_outcomes",
            ["--clinic", "x", "--kind", "csv_checkins", "--output", "o.csv", "--program", HUGE],
            "--program",
        ),
        (
            "export_outcomes",
            ["--clinic", "x", "--kind", "csv_checkins", "--output", "o.csv", "--therapist", "0"],
            "--therapist",
        ),
        (
            "export_outcomes",
            ["--clinic", "x", "--kind", "csv_checkins", "--output", "o.csv", "--program", "1e3"],
            "--program",
        ),
        ("rebuild_outcome_summaries", ["--batch-size", "0"], "--batch-size"),
        ("rebuild_outcome_summaries", ["--batch-size", HUGE], "--batch-size"),
        ("seed_demo", ["--weeks", "53"], "--weeks"),
        ("seed_demo", ["--patients", "-1"], "--patients"),
        ("seed_demo", ["--seed", HUGE], "--seed"),
    ],
)
def test_a_number_out_of_range_is_refused_naming_the_option(command, args, option):
    with pytest.raises(CommandError) as refused:
        call_command(command, *args)
    assert f"argument {option}" in str(refused.value)
