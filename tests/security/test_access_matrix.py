"""The access matrix: every URL pattern of the URL conf, called as every role, against the expected outcome.

The patterns are read from `get_resolver()` (admin, API, pages, exports, links), so a new endpoint without a
rule below fails `test_every_url_pattern_has_a_rule`. Objects in URLs belong to clinic A (patient A1).

Outcomes: OK (2xx/3xx, not a redirect to the login page), LOGIN (pages: a redirect to the login page; API:
401/403), DENIED (403: may see the list but not act), HIDDEN (an object the requester may not see: 404 on API
and pages; in the admin, Django's own answer for an id that does not exist), REFUSED (400 naming the field: a
body or query that names another clinic), NOT_FOUND (404 for everyone of that role). Every HIDDEN answer is
compared with the answer for an id that exists nowhere: they must be the same, so ids reveal nothing. Every
response to a role that may not see patient A1 is checked for A1's name and email.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from clinics.models import StaffMembership
from patients.models import RED_FLAGS, Assignment
from patients.services import TAILORABLE
from tests.factories import builtin_program
from tests.security.world import PASSWORD, ROLES, Role, World, content_type_id

OK, LOGIN, DENIED, HIDDEN, REFUSED, NOT_FOUND, HEALTH = "ok", "login", "denied", "hidden", "refused", "404", "health"
T, A = StaffMembership.Role.THERAPIST, StaffMembership.Role.CLINIC_ADMIN
MISSING_ID = "987654321"
ADMIN_LOGIN = "/admin/login/"


# --- the URL conf ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    name: str | None
    route: str

    @property
    def key(self) -> str:
        return self.name or self.route


def url_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from url_patterns(entry, prefix + str(entry.pattern), inner or "")
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Pattern(name, prefix + str(entry.pattern))


# --- policies -------------------------------------------------------------------------------------------------
Policy = Callable[[Role, str], str]


def staff_policy(
    *, a: set[str], b: str, super_: str = OK, others: str = LOGIN, patients: str | None = None, denied: str = DENIED
) -> Policy:
    """Staff of clinic A with a role in `a` get OK (other A staff DENIED); staff of clinic B get `b`."""

    def policy(role: Role, method: str) -> str:
        if role.kind == "superuser":
            return super_
        if role.kind == "patient" and patients is not None:
            return patients
        if not role.is_staff:
            return others
        if role.clinic == "B":
            return b if role.staff_role in a else denied
        return OK if role.staff_role in a else denied

    return policy


def public(role: Role, method: str) -> str:
    return OK


def api_docs(role: Role, method: str) -> str:
    """Public, but a patient token is an unknown key to the staff TokenAuthentication the schema view uses."""
    return LOGIN if role.kind == "patient" and "token" in role.via else OK


def health(role: Role, method: str) -> str:
    return HEALTH


def patient_api(role: Role, method: str) -> str:
    return OK if role.kind == "patient" and "token" in role.via else LOGIN


def patient_page(role: Role, method: str) -> str:
    return OK if role.kind == "patient" and "session" in role.via else DENIED


def any_staff(ok: str = OK, *, admins_only: bool = False, superusers_too: bool = False) -> Policy:
    def policy(role: Role, method: str) -> str:
        if role.kind == "superuser":
            return OK if ok in (NOT_FOUND, DENIED) and not superusers_too else ok
        if role.is_staff:
            return ok if (role.is_admin or not admins_only) else NOT_FOUND
        return LOGIN

    return policy


STAFF = {T, A}
# Admin models: which membership roles may view / add / change / delete (superusers may do everything).
ADMIN_ACCESS: dict[str, dict[str, set[str]]] = {
    "audit.auditevent": {
        "view": {A},
        "add": set(),
        "change": set(),
        "delete": set(),
        "never": {"add", "change:POST", "delete"},
    },
    "clinics.clinic": {"view": STAFF, "add": set(), "change": {A}, "delete": set()},
    "clinics.staffmembership": {"view": {A}, "add": {A}, "change": {A}, "delete": {A}},
    "patients.patient": {"view": STAFF, "add": STAFF, "change": STAFF, "delete": set()},
    **{
        f"programs.{model}": {"view": STAFF, "add": STAFF, "change": STAFF, "delete": STAFF}
        for model in ("narrative", "copingstrategy", "gradedactivity", "program")
    },
    **{
        f"reminders.{model}": {
            "view": set(),
            "add": set(),
            "change": set(),
            "delete": set(),
            "never": {"add", "change:POST"},
        }
        for model in ("reminder", "alertnotification", "therapistdigest")
    },
    **{
        f"axes.{model}": {"view": set(), "add": set(), "change": set(), "delete": set(), "never": {"add"}}
        for model in ("accessattempt", "accesslog", "accessfailurelog")
    },
}
OWN_ADMIN_APPS = {"clinics", "audit", "patients", "programs", "reminders"}
NOBODY = {"view": set(), "add": set(), "change": set(), "delete": set()}  # third-party and reminders: superusers


def admin_model_policy(model_label: str, page: str) -> Policy:
    access = ADMIN_ACCESS.get(model_label, NOBODY)

    def policy(role: Role, method: str) -> str:
        if page == "redirect":  # the old /<id>/ address: redirects to the change page without looking it up
            return OK if role.is_staff or role.kind == "superuser" else LOGIN
        if page == "changelist":
            needed = access["view"] | access["change"]
        elif page == "change":
            needed = access["change"] if method == "POST" else access["view"] | access["change"]
        elif page == "history":
            needed = access["view"] | access["change"]
        else:
            needed = access[page]
        never = access.get("never", set())
        if page in never or f"{page}:{method}" in never:  # not even a superuser: append-only or app-written rows
            return DENIED if role.is_staff or role.kind == "superuser" else LOGIN
        object_page = page in ("change", "history", "delete")
        # On an object page, a role without the right may get Django's "doesn't exist" (the rows are scoped)
        # or a 403: HIDDEN checks it is the same answer as for an id that exists nowhere.
        return staff_policy(a=needed, b=HIDDEN if object_page else OK, denied=HIDDEN if object_page else DENIED)(
            role, method
        )

    return policy


# --- rules: pattern -> policy, methods, request ------------------------------------------------------------
Body = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    policy: Policy
    methods: tuple[str, ...] = ("GET",)
    kind: str = "page"  # "api", "admin" or "page": how LOGIN and HIDDEN look
    body: Body | None = None
    query: Callable[[World], dict[str, Any]] | None = None
    values: tuple[str, ...] = ()  # one case per value of a regex group (admin app list)
    skip_leak_check: bool = field(default=False)


def _checkin_answers(world: World) -> dict[str, str]:
    data = {f"odi[{i}]": "2" for i in range(10)}
    data["pain_nrs"] = "4"
    data.update({f"red_flags.{key}": "no" for key in RED_FLAGS})
    return data


def _api_checkin(world: World) -> dict[str, Any]:
    return {"odi": [1] * 10, "pain_nrs": 3}


def _clinic_a(world: World) -> dict[str, Any]:
    return {"clinic": world.clinic_a.pk}


RULES: dict[str, Rule] = {
    "healthz": Rule(health),
    "livez": Rule(public),
    "home": Rule(public),  # staff are sent to the admin, anyone else gets the page saying what this is
    "two-factor": Rule(any_staff(), ("GET", "POST"), body=lambda w: {"token": "000000"}),
    "admin:index": Rule(any_staff(), kind="admin"),
    "admin:login": Rule(public, kind="admin"),
    "admin:logout": Rule(public, ("POST",), kind="admin"),
    "admin:password_change": Rule(any_staff(), ("GET", "POST"), kind="admin", body=lambda w: {}),
    "admin:password_change_done": Rule(any_staff(), kind="admin"),
    "admin:autocomplete": Rule(
        any_staff(),
        kind="admin",
        query=lambda w: {"app_label": "programs", "model_name": "programitem", "field_name": "narrative", "term": ""},
    ),
    "admin:jsi18n": Rule(any_staff(), kind="admin"),
    "admin:view_on_site": Rule(
        any_staff(NOT_FOUND, superusers_too=True), kind="admin"
    ),  # no model has get_absolute_url
    "admin:app_list": Rule(
        any_staff(NOT_FOUND),
        kind="admin",
        values=("auth", "knox", "axes", "otp_totp", "django_celery_beat", "reminders"),
    ),
    "admin:app_list/clinic": Rule(any_staff(), kind="admin", values=("clinics", "patients", "programs")),
    "admin:app_list/audit": Rule(any_staff(admins_only=True), kind="admin", values=("audit",)),
    r"admin/(?P<url>.*)$": Rule(any_staff(NOT_FOUND, superusers_too=True), kind="admin"),
    "admin:patients_patient_acknowledge_alerts": Rule(
        staff_policy(a=STAFF, b=HIDDEN),
        ("POST",),
        kind="admin",
        body=lambda w: {"alerts": list(w.patient_a1.alerts.values_list("pk", flat=True)), "note": "Called"},
    ),
    "admin:patients_patient_add_narrative": Rule(
        staff_policy(a=STAFF, b=HIDDEN),
        ("POST",),
        kind="admin",
        body=lambda w: {"narrative": builtin_narrative("Treatment works, and you are part of it").pk},
    ),
    "admin:patients_patient_assign": Rule(
        staff_policy(a=STAFF, b=HIDDEN),
        ("POST",),
        kind="admin",
        body=lambda w: {"assign-program": builtin_program().pk, "assign-start_date": timezone.localdate()},
    ),
    "admin:patients_patient_send_checkin_link": Rule(staff_policy(a=STAFF, b=HIDDEN), ("POST",), kind="admin"),
    "admin:patients_patient_discharge": Rule(
        staff_policy(a=STAFF, b=HIDDEN),
        ("GET", "POST"),
        kind="admin",
        body=lambda w: {"ended_on": w.patient_a1.local_today().isoformat(), "discharge_note": "Goals met"},
    ),
    # The POST takes the same lookup and permission as the GET (`IntakeMixin.start_care_view`); its answers are
    # in tests/admin/test_intake.py.
    "admin:patients_patient_start_care": Rule(staff_policy(a=STAFF, b=HIDDEN), ("GET",), kind="admin"),
    "admin:patients_patient_reactivate": Rule(staff_policy(a=STAFF, b=HIDDEN), ("POST",), kind="admin"),
    "admin:patients_patient_tailor": Rule(
        staff_policy(a=STAFF, b=HIDDEN), ("GET", "POST"), kind="admin", body=lambda w: unchanged_tailoring(w)
    ),
    "admin:programs_program_copy": Rule(staff_policy(a=STAFF, b=HIDDEN), ("POST",), kind="admin"),
    "admin:auth_user_password_change": Rule(admin_model_policy("auth.user", "change"), kind="admin"),
    # OTP_ADMIN_HIDE_SENSITIVE_DATA: nobody reads a TOTP secret in the admin, whether the device exists or not.
    "admin:otp_totp_totpdevice_config": Rule(any_staff(DENIED, superusers_too=True), kind="admin"),
    "admin:otp_totp_totpdevice_qrcode": Rule(any_staff(DENIED, superusers_too=True), kind="admin"),
    "schema": Rule(api_docs, kind="api"),
    "api-docs": Rule(api_docs, kind="api"),
    "api-auth-token": Rule(
        public, ("POST",), kind="api", body=lambda w: {"username": "therapist_a", "password": PASSWORD}
    ),
    "api-auth-tokens": Rule(any_staff(), kind="api"),
    "api-auth-token-revoke": Rule(any_staff(NOT_FOUND, superusers_too=True), ("DELETE",), kind="api"),
    "api-auth-logout": Rule(any_staff(), ("POST",), kind="api"),
    "api-auth-logout-all": Rule(any_staff(), ("POST",), kind="api"),
    "api-me-session": Rule(public, ("POST",), kind="api", body=lambda w: {"token": w.magic_token_a1}),
    "api-me": Rule(patient_api, ("GET", "PATCH"), kind="api", body=lambda w: {"language": "nb"}),
    "api-me-program": Rule(patient_api, kind="api"),
    "api-me-checkins": Rule(patient_api, ("GET", "POST"), kind="api", body=_api_checkin),
    "api-me-outcomes": Rule(patient_api, kind="api"),
    "api-patients": Rule(
        lambda role, method: staff_policy(a=STAFF, b=REFUSED if method == "POST" else OK)(role, method),
        ("GET", "POST"),
        kind="api",
        body=lambda w: {"clinic": w.clinic_a.pk, "first_name": "New", "last_name": "Patient", "email": "n@example.org"},
    ),
    "api-patient": Rule(
        staff_policy(a=STAFF, b=HIDDEN), ("GET", "PATCH"), kind="api", body=lambda w: {"phone": "+47 22 00 00 00"}
    ),
    "api-patient-checkins": Rule(
        staff_policy(a=STAFF, b=HIDDEN),
        ("GET", "POST"),
        kind="api",
        body=lambda w: {"odi": [1] * 10, "pain_nrs": 3, "week": 0},
    ),
    "api-patient-outcomes": Rule(staff_policy(a=STAFF, b=HIDDEN), kind="api"),
    "api-patient-assignments": Rule(
        staff_policy(a=STAFF, b=HIDDEN),
        ("POST",),
        kind="api",
        body=lambda w: {"program": builtin_program().pk, "start_date": timezone.localdate().isoformat()},
    ),
    "api-alerts": Rule(staff_policy(a=STAFF, b=OK), kind="api"),
    "api-alert-acknowledge": Rule(staff_policy(a=STAFF, b=HIDDEN), ("POST",), kind="api"),
    "api-programs": Rule(
        lambda role, method: staff_policy(a=STAFF, b=REFUSED if method == "POST" else OK)(role, method),
        ("GET", "POST"),
        kind="api",
        body=lambda w: {"copy_from": builtin_program().pk, "clinic": w.clinic_a.pk},
    ),
    "reports-outcomes": Rule(staff_policy(a={A}, b=REFUSED), kind="api", query=_clinic_a),
    "reports-exports": Rule(
        staff_policy(a={A}, b=REFUSED), ("POST",), kind="api", query=_clinic_a, body=lambda w: {"kind": "csv_checkins"}
    ),
    "reports-export-detail": Rule(staff_policy(a={A}, b=HIDDEN), kind="api"),
    # The API's download: a therapist is refused (403) like the job detail, another clinic's admin gets 404.
    "reports-export-download": Rule(staff_policy(a={A}, b=HIDDEN), kind="api"),
    "reports:page": Rule(staff_policy(a={A}, b=REFUSED), query=_clinic_a),
    "reports:request_export": Rule(
        staff_policy(a={A}, b=REFUSED), ("POST",), query=_clinic_a, body=lambda w: {"kind": "csv_checkins"}
    ),
    # Export files are listed for clinic admins only: to a therapist a job id is as unknown as a wrong one.
    "reports:download": Rule(
        lambda role, method: (
            HIDDEN if role.is_staff and not role.is_admin else staff_policy(a={A}, b=HIDDEN)(role, method)
        )
    ),
    "reports:stream_csv": Rule(staff_policy(a={A}, b=REFUSED), query=_clinic_a, values=("checkins", "episodes")),
    "reminders:pause": Rule(public, ("GET", "POST")),
    "patients:checkin": Rule(patient_page, ("GET", "POST"), body=_checkin_answers),
    "patients:checkin-done": Rule(patient_page),
    "patients:program": Rule(patient_page),
    # The language the patient already has: the shared world stays as it is for the other cases.
    "patients:language": Rule(patient_page, ("POST",), body=lambda w: {"language": "en-gb", "next": "program"}),
    "patients:open-link": Rule(public),
}

ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z]+)/(?P<rest>.*)$")
ADMIN_PAGES = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "redirect",
}
ADMIN_BODIES = {"delete": {"post": "yes"}}


def rule_for(pattern: Pattern) -> Rule | None:
    if pattern.key in RULES:
        return RULES[pattern.key]
    match = ADMIN_MODEL_ROUTE.match(pattern.route)
    if match and match["rest"] in ADMIN_PAGES:
        label, page = f"{match['app']}.{match['model']}", ADMIN_PAGES[match["rest"]]
        own = match["app"] in OWN_ADMIN_APPS
        methods = ("GET", "POST") if own and page in ("add", "change", "delete") else ("GET",)
        if own and page == "changelist" and label == "patients.patient":
            methods = ("GET", "POST")
        return Rule(admin_model_policy(label, page), methods, kind="admin")
    return None


@dataclass(frozen=True)
class Case:
    pattern: Pattern
    rule: Rule
    method: str
    role: Role
    value: str | None = None

    @property
    def id(self) -> str:
        where = f"{self.pattern.key}[{self.value}]" if self.value else self.pattern.key
        return f"{where}|{self.method}|{self.role.name}"


def all_patterns() -> list[Pattern]:
    return list(url_patterns())


def cases() -> list[Case]:
    found = []
    for pattern in all_patterns():
        if pattern.name == "admin:app_list":
            rules = [RULES["admin:app_list"], RULES["admin:app_list/clinic"], RULES["admin:app_list/audit"]]
        else:
            rule = rule_for(pattern)
            rules = [rule] if rule else []
        for rule in rules:
            for value in rule.values or (None,):
                for method in rule.methods:
                    found.extend(Case(pattern, rule, method, role, value) for role in ROLES)
    return found


def builtin_narrative(title: str) -> Any:
    from programs.models import Narrative

    builtin_program()  # a flushed database gets the built-in library back
    return Narrative.objects.builtin().get(title=title)


def unchanged_tailoring(world: World) -> dict[str, Any]:
    """The tailoring page's form as shown (nothing changed), for a POST that saves."""
    assignment = Assignment.objects.filter(episode__patient=world.patient_a1).first()
    body: dict[str, Any] = {}
    for item in assignment.items.all():  # type: ignore[union-attr]
        for name in TAILORABLE:
            value = getattr(item, name)
            if value is not None and (item.kind == "activity" or name in ("start_week", "end_week")):
                body[f"item-{item.pk}-{name}"] = value
    return body


# --- filling a route --------------------------------------------------------------------------------------------
def url_for(case: Case, world: World, *, missing: bool = False) -> str:
    route = case.pattern.route
    match = ADMIN_MODEL_ROUTE.match(route)
    model_label = f"{match['app']}.{match['model']}" if match else None

    def value(name: str) -> str:
        if name == "object_id":
            if route.startswith("admin/patients/patient/"):
                obj: Any = world.patient_a1
            elif route.startswith("admin/r/"):
                obj = world.patient_a1
            else:
                obj = world.objects[model_label]  # type: ignore[index]
            return MISSING_ID if missing else str(obj.pk)
        if name in ("id", "pk"):
            return MISSING_ID if missing else str(world.objects[model_label].pk)  # type: ignore[index]
        if name == "content_type_id":
            return str(content_type_id("patients.patient"))
        if name == "patient_id":
            return MISSING_ID if missing else str(world.patient_a1.pk)
        if name == "assignment_id":
            assignment = Assignment.objects.filter(episode__patient=world.patient_a1).first()
            return MISSING_ID if missing else str(assignment.pk)  # type: ignore[union-attr]
        if name == "alert_id":
            return MISSING_ID if missing else str(world.alert_a1.pk)
        if name == "uuid":
            return str(uuid.uuid4()) if missing else str(world.export_a.uuid)
        if name == "token_id":  # nobody's token: the revoke endpoint answers 404 for it as for another's
            return "st_nosuchtoken0"
        if name == "token":
            return world.pause_token_a1 if route.startswith("reminders/") else world.magic_token_a1
        if name == "url":
            return "no/such/page/"
        if name in ("app_label", "kind"):
            return case.value or ""
        raise AssertionError(f"no value for <{name}> in {route}")

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    query = case.rule.query(world) if case.rule.query else {}
    return "/" + path + (f"?{urlencode(query)}" if query else "")


def call(case: Case, world: World, *, missing: bool = False) -> Any:
    client = world.client(case.role)
    url = url_for(case, world, missing=missing)
    body = case.rule.body(world) if case.rule.body else ADMIN_BODIES.get(_admin_page(case), {})
    if case.pattern.key == "admin:patients_patient_changelist" and case.method == "POST":
        body = {"action": "export_csv_action", "_selected_action": [world.patient_a1.pk]}
    if case.method == "GET":
        return client.get(url)
    if case.rule.kind == "api":
        return client.generic(case.method, url, data=_json(body), content_type="application/json")
    return client.post(url, body)


def _admin_page(case: Case) -> str:
    match = ADMIN_MODEL_ROUTE.match(case.pattern.route)
    return ADMIN_PAGES.get(match["rest"], "") if match else ""


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, default=str)


def content_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


# --- the tests ------------------------------------------------------------------------------------------------------
def test_every_url_pattern_has_a_rule() -> None:
    missing = [p.key for p in all_patterns() if p.name != "admin:app_list" and rule_for(p) is None]
    assert missing == [], f"add these patterns to RULES in {__name__}: {missing}"


def test_every_rule_names_a_pattern_that_exists() -> None:
    keys = {p.key for p in all_patterns()} | {"admin:app_list/clinic", "admin:app_list/audit"}
    assert sorted(set(RULES) - keys) == []


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_access(case: Case, world: World) -> None:
    expected = case.rule.policy(case.role, case.method)
    response = call(case, world)
    status, location = response.status_code, response.get("Location", "")
    assert status < 500, f"{case.id}: {status}"
    if expected == OK:
        assert 200 <= status < 400 and not location.startswith(ADMIN_LOGIN), f"{case.id}: {status} {location}"
    elif expected == LOGIN:
        if case.rule.kind == "api":
            assert status in (401, 403), f"{case.id}: {status}"
        else:
            assert status == 302 and location.startswith(ADMIN_LOGIN), f"{case.id}: {status} {location}"
    elif expected == DENIED:
        assert status == 403, f"{case.id}: {status} {location}"
    elif expected == REFUSED:
        assert status == 400, f"{case.id}: {status} {location}"
    elif expected == NOT_FOUND:
        assert status == 404, f"{case.id}: {status} {location}"
    elif expected == HEALTH:
        assert status in (200, 503)
    elif expected == HIDDEN:
        assert not 200 <= status < 300, f"{case.id}: {status} shows another clinic's object"
        if case.rule.kind != "admin":
            assert status == 404, f"{case.id}: {status} (an object of another clinic is a 404)"
        else:  # the admin's "doesn't exist" answer (a redirect to the index, or a 404), or 403 without the right
            assert status == 404 or status == 403 or (status == 302 and location == "/admin/"), f"{case.id}: {status}"
        twin = call(case, world, missing=True)
        assert (twin.status_code, twin.get("Location", "")) == (status, location), (
            f"{case.id}: {status} {location} for another clinic's object but {twin.status_code} for no object"
        )
    else:
        raise AssertionError(expected)
    sees_a1 = case.role.kind == "superuser" or case.role.clinic == "A" and case.role.name != "patient_a2"
    if not sees_a1:
        body = content_of(response)
        for secret in (world.patient_a1.first_name, world.patient_a1.email):
            assert secret.encode() not in body, f"{case.id}: the response shows patient A1 ({secret})"


# --- the second factor on every staff surface --------------------------------------------------------------------
TWO_FACTOR = "/account/two-factor/"
SESSION_STAFF = ("therapist_a", "admin_a")


def _staff_surface(case: Case) -> bool:
    """A case a staff member of clinic A reaches with a session (whatever the answer), on a URL anonymous callers
    may not use: the admin, the staff API, reports, exports and downloads."""
    if case.role.name not in SESSION_STAFF or case.rule.kind not in ("api", "admin", "page"):
        return False
    if not case.pattern.route.startswith(("admin/", "api/v1/", "reports/")):
        return False
    if (case.pattern.name or "") == "api-me" or (case.pattern.name or "").startswith(
        "api-me-"
    ):  # the patient's own API: no staff session counts there
        return False
    if case.pattern.name in ("api-auth-logout", "api-auth-logout-all"):  # a token signs out: no session accepted
        return False
    # Public URLs (the login page, the token endpoint) are reached before any second factor.
    return case.rule.policy(ROLES[0], case.method) == LOGIN


TWO_FACTOR_CASES = [case for case in CASES if _staff_surface(case)]


def _session_only(world: World, role: Role, *, verified: bool = False) -> Any:
    """The role's session cookie and no API token; `verified` adds a TOTP device verified in the session."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(world.users[role.name])
    if verified:
        device = TOTPDevice.objects.create(user=world.users[role.name], name="verified phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _call_with(client: Any, case: Case, world: World) -> Any:
    url = url_for(case, world)
    body = case.rule.body(world) if case.rule.body else ADMIN_BODIES.get(_admin_page(case), {})
    if case.method == "GET":
        return client.get(url)
    if case.rule.kind == "api":
        return client.generic(case.method, url, data=_json(body), content_type="application/json")
    return client.post(url, body)


def _asks_for_second_factor(case: Case, response: Any) -> bool:
    if case.rule.kind == "api":
        return response.status_code == 403 and response.json()["code"] == "second_factor_required"
    return response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)


def test_the_two_factor_matrix_covers_the_api_reports_and_exports() -> None:
    routes = {case.pattern.key for case in TWO_FACTOR_CASES}
    for name in ("api-patients", "api-patient", "api-alerts", "reports-outcomes", "reports-exports", "reports:page",
                 "reports:download", "reports:stream_csv", "admin:index"):  # fmt: skip
        assert name in routes, name


@pytest.mark.parametrize("case", TWO_FACTOR_CASES, ids=[case.id for case in TWO_FACTOR_CASES])
def test_a_password_only_session_reaches_no_staff_surface_when_the_clinic_requires_a_second_factor(
    case: Case, world: World
) -> None:
    world.clinic_a.require_two_factor = True
    world.clinic_a.save(update_fields=["require_two_factor"])
    response = _call_with(_session_only(world, case.role), case, world)
    assert _asks_for_second_factor(case, response), f"{case.id}: {response.status_code} {response.get('Location')}"
    for secret in (world.patient_a1.first_name, world.patient_a1.email):
        assert secret.encode() not in content_of(response), f"{case.id}: shows patient A1 before the second factor"


@pytest.mark.parametrize("case", TWO_FACTOR_CASES, ids=[case.id for case in TWO_FACTOR_CASES])
def test_a_session_with_the_verified_second_factor_is_served_as_before(case: Case, world: World) -> None:
    world.clinic_a.require_two_factor = True
    world.clinic_a.save(update_fields=["require_two_factor"])
    response = _call_with(_session_only(world, case.role, verified=True), case, world)
    assert response.status_code < 500, case.id
    assert not _asks_for_second_factor(case, response), f"{case.id}: {response.status_code}"
