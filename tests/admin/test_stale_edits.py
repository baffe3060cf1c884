"""No lost update in the admin's other shared records (cft/stale_edits.py): two staff open the same program (or
the clinic); A saves a change; B's save from the copy read before it is refused, naming what A changed and who A
is, and saves nothing. Reloaded, B's change goes through on top of A's."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from clinics.models import Clinic
from programs.models import Program
from tests.factories import make_clinic_admin

pytestmark = pytest.mark.django_db


def as_shown(client: Client, url: str) -> dict[str, Any]:
    """The change page's form (and its inlines' saved rows) as the page holds it, with the copy it was read at."""
    context = client.get(url).context
    data: dict[str, Any] = {"_read_as": context["read_as"]}

    def add(form: forms.BaseForm) -> None:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None:
                continue
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif isinstance(value, (list, tuple)):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = str(value)

    add(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        saved = formset.initial_form_count()
        management = formset.management_form
        for key, value in {
            "TOTAL_FORMS": saved,
            "INITIAL_FORMS": saved,
            "MIN_NUM_FORMS": 0,
            "MAX_NUM_FORMS": 1000,
        }.items():
            data[management.add_prefix(key)] = str(value)
        for form in formset.forms[:saved]:
            add(form)
    return data


def two_admins(world) -> tuple[Client, Client]:  # type: ignore[no-untyped-def]
    second = make_clinic_admin(world.alpha, user__username="ann", user__first_name="Ann", user__last_name="Other")
    ada, ann = Client(), Client()
    ada.force_login(world.ada)
    ann.force_login(second)
    return ada, ann


def test_a_program_saved_from_a_stale_copy_is_refused_and_names_who_changed_what(world):
    ada, ann = two_admins(world)
    program = world.alpha_program
    url = reverse("admin:programs_program_change", args=[program.pk])
    first, second = as_shown(ann, url), as_shown(ada, url)

    assert ann.post(url, first | {"title": "Alpha back program, 2027"}).status_code == 302
    refused = ada.post(url, second | {"weeks": "10"})

    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Ann Other changed Title after you opened this page. Nothing you entered was saved" in html
    program.refresh_from_db()
    assert (program.title, program.weeks) == ("Alpha back program, 2027", 12)

    again = as_shown(ada, url) | {"weeks": "10"}
    assert ada.post(url, again).status_code == 302
    program.refresh_from_db()
    assert (program.title, program.weeks) == ("Alpha back program, 2027", 10)


def test_the_clinic_page_is_guarded_too(world):
    ada, ann = two_admins(world)
    url = reverse("admin:clinics_clinic_change", args=[world.alpha.pk])
    first, second = as_shown(ann, url), as_shown(ada, url)
    assert ann.post(url, first | {"name": "Alpha physiotherapy"}).status_code == 302
    assert ada.post(url, second).status_code == 200  # nothing changed by Ada, but her save would undo Ann's name
    assert Clinic.objects.get(pk=world.alpha.pk).name == "Alpha physiotherapy"


def test_a_save_with_nobody_else_in_between_goes_through(world):
    ada, _ = two_admins(world)
    url = reverse("admin:programs_program_change", args=[world.alpha_program.pk])
    assert ada.post(url, as_shown(ada, url) | {"weeks": "8"}).status_code == 302
    assert Program.objects.get(pk=world.alpha_program.pk).weeks == 8
