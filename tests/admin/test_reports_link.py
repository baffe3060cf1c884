"""The outcome reports in reach from the admin: linked for those who may see them, a clear 403 for the rest."""

from __future__ import annotations

from tests.admin.conftest import CHANGELIST


def test_clinic_admins_see_a_reports_link_on_every_admin_page_and_the_index(client, world):
    client.force_login(world.ada)
    for url in (CHANGELIST, "/admin/"):
        page = client.get(url).content.decode()
        assert '<a href="/reports/" id="reports-link">Reports</a>' in page
    assert '<a class="button" href="/reports/">Outcome reports</a>' in client.get("/admin/").content.decode()


def test_therapists_get_no_reports_link(client, world):
    client.force_login(world.tess)
    for url in (CHANGELIST, "/admin/"):
        assert 'href="/reports/"' not in client.get(url).content.decode()


def test_a_therapist_opening_reports_gets_a_403_page_saying_who_may_see_them(client, world):
    client.force_login(world.tess)
    response = client.get("/reports/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Outcome reports and exports are for clinic admins" in page
    assert 'id="site-name"' in page  # the admin's header, not a bare 403
    assert "Back to the caseload" in page


def test_a_clinic_admin_still_gets_the_report(client, world):
    client.force_login(world.ada)
    assert client.get("/reports/").status_code == 200
