"""The program library: ordered components inline, a week's plan preview, copying a built-in program,
narrative versions and graded-activity validation through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import GradedActivity, Narrative, Program
from programs.services import create_narrative
from tests.factories import builtin_program


@pytest.fixture
def tess_client(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.tess)
    return client


def test_program_page_lists_components_inline_in_order(tess_client, world):
    page = tess_client.get(reverse("admin:programs_program_change", args=[world.alpha_program.pk])).content.decode()
    assert 'id="items-group"' in page
    first = page.index("Hurt does not mean harm")
    assert first < page.index("Relaxed bending")


def test_week_preview_shows_what_is_due_and_each_quota(tess_client, world):
    url = reverse("admin:programs_program_change", args=[world.alpha_program.pk])
    page = tess_client.get(url, {"week": 3}).content.decode()
    assert "Preview: week 3" in page
    assert "Walking at a comfortable pace: 14 minutes" in page  # 10, 12, 14.4 (DOMAIN.md section 7), in whole minutes
    assert "Standing up from a chair and sitting down, relaxed: 12 repetitions" in page  # starts in week 2
    assert "Flare-up plan" in page
    assert "Your back is strong" in page and "Hurt does not mean harm" not in page.split("Preview: week 3")[1]


def test_copy_a_builtin_program_into_my_clinic_with_the_button(tess_client, world):
    program = builtin_program(Program.Kind.RETURN_TO_WORK)
    response = tess_client.post(reverse("admin:programs_program_copy", args=[program.pk]))
    copy = Program.objects.get(clinic=world.alpha, copied_from=program)
    assert response["Location"] == reverse("admin:programs_program_change", args=[copy.pk])
    assert copy.items.count() == program.items.count()


def test_copy_action_copies_each_selected_builtin_program(tess_client, world):
    programs = list(Program.objects.builtin())
    tess_client.post(
        reverse("admin:programs_program_changelist"),
        {"action": "copy_to_clinic_action", "_selected_action": [p.pk for p in programs]},
    )
    copies = Program.objects.filter(clinic=world.alpha, copied_from__in=programs).exclude(pk=world.alpha_program.pk)
    assert copies.count() == len(programs)
    assert (
        not Program.objects.filter(clinic=world.beta, copied_from__in=programs)
        .exclude(pk=world.beta_program.pk)
        .exists()
    )


def test_copy_action_refuses_a_clinic_program_and_copies_nothing(tess_client, world):
    before = Program.objects.count()
    response = tess_client.post(
        reverse("admin:programs_program_changelist"),
        {"action": "copy_to_clinic_action", "_selected_action": [builtin_program().pk, world.alpha_program.pk]},
        follow=True,
    )
    assert "is not a built-in program" in response.content.decode()
    assert Program.objects.count() == before


def test_editing_a_narrative_adds_a_version(tess_client, world):
    narrative = create_narrative(clinic=world.alpha, title="Moving helps", body="First text")
    url = reverse("admin:programs_narrative_change", args=[narrative.pk])
    data = {
        "clinic": world.alpha.pk,
        "title": "Moving helps",
        "body": "Second text",
        "key_messages": "",
        "versions-TOTAL_FORMS": 1,
        "versions-INITIAL_FORMS": 1,
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
        "versions-0-id": narrative.versions.get().pk,
        "versions-0-narrative": narrative.pk,
    }
    response = tess_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(narrative.versions.order_by("version").values_list("version", "body")) == [
        (1, "First text"),
        (2, "Second text"),
    ]


def test_adding_a_narrative_creates_version_one(tess_client, world):
    data = {
        "clinic": world.alpha.pk,
        "title": "New story",
        "language": "en-gb",
        "body": "Once",
        "key_messages": "One",
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
    }
    response = tess_client.post(reverse("admin:programs_narrative_add"), data)
    assert response.status_code == 302
    narrative = Narrative.objects.get(title="New story")
    assert narrative.current_version().body == "Once"


def test_graded_activity_with_goal_below_baseline_names_the_field(tess_client, world):
    data = {
        "clinic": world.alpha.pk,
        "title": "Cycling",
        "activity": "Cycling",
        "unit": "minutes",
        "baseline": "20",
        "increase_kind": "percent",
        "increase": "10",
        "goal": "10",
        "flare_margin": 2,
        "flare_response": "hold",
    }
    response = tess_client.post(reverse("admin:programs_gradedactivity_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["goal"] == ["The goal cannot be below the baseline."]
    assert not GradedActivity.objects.filter(title="Cycling").exists()


def test_staff_must_put_new_components_in_their_clinic(tess_client, world):
    data = {
        "clinic": "",
        "title": "Cycling",
        "activity": "Cycling",
        "unit": "minutes",
        "baseline": "10",
        "increase_kind": "percent",
        "increase": "10",
        "goal": "20",
        "flare_margin": 2,
        "flare_response": "hold",
    }
    response = tess_client.post(reverse("admin:programs_gradedactivity_add"), data)
    assert response.status_code == 200
    assert "clinic" in response.context["adminform"].form.errors


def test_adding_a_component_inline_goes_through_the_service(tess_client, world):
    program = world.alpha_program
    items = list(program.items.order_by("order", "pk"))
    narrative = create_narrative(clinic=world.alpha, title="Alpha story", body="x")
    data = {
        "clinic": world.alpha.pk,
        "title": program.title,
        "kind": program.kind,
        "weeks": program.weeks,
        "description": program.description,
        "items-TOTAL_FORMS": len(items) + 1,
        "items-INITIAL_FORMS": len(items),
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
    }
    for i, item in enumerate(items):
        data.update(
            {
                f"items-{i}-id": item.pk,
                f"items-{i}-program": program.pk,
                f"items-{i}-order": item.order,
                f"items-{i}-start_week": item.start_week,
                f"items-{i}-end_week": item.end_week or "",
                f"items-{i}-narrative": item.narrative_id or "",
                f"items-{i}-coping_strategy": item.coping_strategy_id or "",
                f"items-{i}-graded_activity": item.graded_activity_id or "",
            }
        )
    n = len(items)
    data.update(
        {
            f"items-{n}-program": program.pk,
            f"items-{n}-order": 99,
            f"items-{n}-start_week": 5,
            f"items-{n}-end_week": 3,
            f"items-{n}-narrative": narrative.pk,
        }
    )
    url = reverse("admin:programs_program_change", args=[program.pk])
    bad = tess_client.post(url, data)
    assert bad.status_code == 200
    assert "The end week cannot be before the start week." in bad.content.decode()
    data[f"items-{n}-end_week"] = 8
    good = tess_client.post(url, data)
    assert good.status_code == 302
    added = program.items.get(narrative=narrative)
    assert (added.order, added.start_week, added.end_week) == (99, 5, 8)
