"""Check-ins under load, against a baseline measured in the same run on the same server.

Starts the app under gunicorn on 127.0.0.1 (DEBUG off, PostgreSQL and Redis from DATABASE_URL and
CELERY_BROKER_URL) and drives it with `bench.loadgen` at 10, 50 and 200 concurrent clients:

- `GET /livez`, the minimal Django view: the baseline of the whole stack;
- `POST /bench/baseline/` (`bench.baseline`): the same patient token authenticated, one row inserted in a
  transaction: the baseline the API check-in is a ratio to;
- `POST /api/v1/me/checkins/` with a patient API token;
- the check-in page: a session opened from the magic link and the form's CSRF token (prepared before the
  clock starts), then `POST /checkin/` measured.

Every client has its own patients, so most submissions create the week's check-in and a client that comes
back to a patient updates it. After each run the database is checked: the versions of this week's check-ins
add up to the successful submissions (nothing lost). In-process, it counts the SQL statements of one
submission for a 1-item and a 30-item program and times the API submission and the baseline endpoint, interleaved,
without the HTTP server. The server and the in-process client use `bench.settings` (the product's settings with
the bench's URLconf), so the baseline endpoint exists only here.

    DATABASE_URL=postgres://.../cft_bench CELERY_BROKER_URL=redis://.../14 python -m bench.load [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

import django

from bench.server import SERVER_ENV

LEVELS = (10, 50, 200)
SECONDS = 5.0  # per measurement: 3 levels x 3 targets, about a minute of load in all
PATIENTS_PER_LEVEL = 400  # per target: API and page each use 3 x 400 seeded patients


def _setup() -> None:
    os.environ.update(SERVER_ENV)
    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench.load needs PostgreSQL: set DATABASE_URL=postgres://...")


# --- data ---------------------------------------------------------------------------------------------------


def seeded_patients(count: int) -> list[Any]:
    """`count` bulk demo patients (seeded once, kept for later runs), ordered by id."""
    from patients import demo
    from patients.models import Patient

    demo.seed(
        password="bench-password",  # noqa: S106 - demo staff of the bench database
        patients_per_clinic=count + 12,
        max_weeks=8,
    )
    clinic_slug = demo.DEMO_CLINICS[0][0]
    patients = list(
        Patient.objects.filter(clinic__slug=clinic_slug, record_number__startswith="B-", status="active")
        .select_related("clinic")
        .order_by("pk")[:count]
    )
    if len(patients) < count:
        sys.exit(f"bench.load: only {len(patients)} bulk patients, {count} needed")
    return patients


def clear_this_week(patients: list[Any]) -> None:
    """Delete this week's check-ins and alerts of these patients, so every run starts from the seeded state
    (the seed never writes the current week)."""
    from patients.models import Alert, CheckIn, Episode

    episodes = (
        Episode.objects.filter(patient__in=patients, ended_on__isnull=True).with_week_one().select_related("patient")
    )
    by_week: dict[int, list[int]] = {}
    for episode in episodes:
        week = episode.program_week_on(episode.patient.local_today())
        if week is not None:
            by_week.setdefault(week, []).append(episode.pk)
    for week, ids in by_week.items():
        CheckIn.objects.filter(episode_id__in=ids, week=week).delete()
        # An alert gathers weeks (one open alert per kind): this week's run may have opened one or added this
        # week to one the seed raised; take the week out again.
        Alert.objects.filter(episode_id__in=ids, week=week).delete()
        for alert in Alert.objects.filter(episode_id__in=ids, latest_week=week):
            alert.weeks = [w for w in alert.weeks if w != week]
            alert.latest_week = max(alert.weeks)
            alert.save(update_fields=["weeks", "latest_week"])


def submissions_stored(patients: list[Any]) -> int:
    """Successful submissions the database holds for these patients this week: each check-in's version
    counts its create and its updates."""
    from django.db.models import Sum

    from patients.models import CheckIn

    ids = [p.pk for p in patients]
    # Everything submitted in this run is newer than the seed, which dates its last check-in "now" at seeding.
    return (
        CheckIn.objects.filter(patient_id__in=ids, submitted_at__gte=_RUN_STARTED).aggregate(total=Sum("version"))[
            "total"
        ]
        or 0
    )


_RUN_STARTED: Any = None


def answers(n: int) -> tuple[list[int | None], int]:
    odi = [(n + i) % 6 for i in range(10)]
    if n % 3 == 0:
        odi[7] = None
    return odi, (n * 7) % 11


# --- HTTP ----------------------------------------------------------------------------------------------------


def api_maker(tokens: list[str], clients: int, path: str = "/api/v1/me/checkins/"):  # type: ignore[no-untyped-def]
    pools = [tokens[i::clients] or [tokens[i % len(tokens)]] for i in range(clients)]

    def make(client: int, number: int) -> tuple[str, str, bytes, dict[str, str]]:
        pool = pools[client]
        odi, nrs = answers(client + number)
        body = json.dumps({"odi": odi, "pain_nrs": nrs}).encode()
        headers = {"Authorization": f"Token {pool[number % len(pool)]}", "Content-Type": "application/json"}
        return "POST", path, body, headers

    return make


@dataclass
class PageSession:
    cookie: str
    form: dict[str, str]  # the form's own fields with a valid answer each, and its CSRF token


INPUT = re.compile(r'<input[^>]*\bname="([^"]+)"[^>]*>')


def open_page_session(base_url: str, link_path: str) -> PageSession:
    """What a patient's browser does before submitting: open the magic link, then load the form."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", link_path)
        response = conn.getresponse()
        opened = response.read().decode()
        assert response.status == 200, f"magic link answered {response.status}"
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', opened)
        assert csrf, "no CSRF token on the link page"
        body = urlencode({"csrfmiddlewaretoken": csrf.group(1)})
        headers = {
            "Cookie": _cookie_header(cookies),
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{base_url}{link_path}",
        }
        conn.request("POST", link_path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 302, f"opening the link answered {response.status}"
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        conn.request("GET", "/checkin/", headers={"Cookie": _cookie_header(cookies)})
        response = conn.getresponse()
        page = response.read().decode()
        assert response.status == 200, f"check-in form answered {response.status}"
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    finally:
        conn.close()
    names = set(INPUT.findall(page))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token in the form"
    form = {"csrfmiddlewaretoken": token.group(1)}
    for name in names:
        if name.startswith("red_flags."):
            form[name] = "no"
    return PageSession(cookie=_cookie_header(cookies), form=form)


def _cookie_header(cookies: SimpleCookie) -> str:
    return "; ".join(f"{key}={morsel.value}" for key, morsel in cookies.items())


def page_maker(sessions: list[PageSession], clients: int):  # type: ignore[no-untyped-def]
    pools = [sessions[i::clients] or [sessions[i % len(sessions)]] for i in range(clients)]

    def make(client: int, number: int) -> tuple[str, str, bytes, dict[str, str]]:
        pool = pools[client]
        session = pool[number % len(pool)]
        odi, nrs = answers(client + number)
        fields = dict(session.form)
        fields.update({f"odi[{i}]": "skip" if value is None else str(value) for i, value in enumerate(odi)})
        fields["pain_nrs"] = str(nrs)
        body = urlencode(fields).encode()
        headers = {"Cookie": session.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return "POST", "/checkin/", body, headers

    return make


def livez_maker(client: int, number: int) -> tuple[str, str, None, dict[str, str]]:
    return "GET", "/livez", None, {}


# --- in-process: statements and time of one submission ----------------------------------------------------------


def _program_with(clinic: Any, size: int) -> Any:
    from programs import services as program_services
    from programs.models import GradedActivity, Program

    title = f"Bench program, {size} activities"
    program = Program.objects.filter(clinic=clinic, title=title).first()
    if program is not None:
        return program
    activities = [
        GradedActivity.objects.create(
            clinic=clinic,
            title=f"Walking {n}",
            activity="Walking",
            unit="minutes",
            baseline="10",
            increase_kind="percent",
            increase="20",
            goal="30",
            flare_margin=2,
        )
        for n in range(size)
    ]
    return program_services.create_program(clinic=clinic, title=title, items=[{"component": a} for a in activities])


def _fresh_patient(clinic: Any, program: Any, n: int) -> Any:
    """A patient three weeks into `program` with three check-ins (the history a real submission reads)."""
    import datetime as dt

    from patients import services

    patient = services.create_patient(
        clinic=clinic, first_name="Bench", last_name=f"Profile {n}", email=f"profile{n}@example.org"
    )
    start = patient.local_today() - dt.timedelta(weeks=3)
    episode = services.open_episode(patient=patient, started_on=start)
    services.assign_program(episode=episode, program=program, start_date=start)
    for week in (1, 2, 3):
        services.submit_checkin(patient=patient, week=week, answers=services.CheckInAnswers(odi=[2] * 10, pain_nrs=5))
    return patient


def _api_client(patient: Any) -> Any:
    from django.test import Client

    from patients import services

    key, _ = services.issue_patient_token(patient=patient)
    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}")


def _payload(client: Any) -> bytes:
    plan = json.loads(client.get("/api/v1/me/program/").content)
    return json.dumps(
        {"odi": [2, 2, 2, 2, 2, 2, 1, 1, 2, None], "pain_nrs": 6, "activities": [
            {"item": a["item"], "done": "10"} for a in plan["activities"]
        ]}
    ).encode()  # fmt: skip


def statements_per_submission(size: int) -> dict[str, int]:
    """SQL statements of one API submission (a create) and of one check-in page submission, for a program of
    `size` activities. Counted in-process with CaptureQueriesContext."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinics.models import Clinic
    from patients import links

    clinic, _ = Clinic.objects.get_or_create(slug="bench-load", defaults={"name": "Bench load clinic"})
    program = _program_with(clinic, size)
    stamp = time.time_ns()
    api_patient, page_patient = _fresh_patient(clinic, program, stamp), _fresh_patient(clinic, program, stamp + 1)
    client = _api_client(api_patient)
    body = _payload(client)
    with CaptureQueriesContext(connection) as api:
        response = client.post("/api/v1/me/checkins/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    counts = {"api": len(api.captured_queries), "api_sql": _real(api.captured_queries)}
    browser = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=False)
    browser.post(f"/checkin/{links.issue_token(page_patient)}/")
    form = {f"odi[{i}]": "2" for i in range(10)}
    form.update({f"red_flags.{key}": "no" for key in _red_flag_keys()})
    form["pain_nrs"] = "6"
    with CaptureQueriesContext(connection) as page:
        response = browser.post("/checkin/", form)
    assert response.status_code == 302, response.content[:2000]
    # Counted at once: `captured_queries` slices the connection's log, which later statements move on.
    return {**counts, "page": len(page.captured_queries), "page_sql": _real(page.captured_queries)}


def _real(captured: list[dict[str, Any]]) -> int:
    """Statements that are not transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT)."""
    control = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")
    return sum(1 for q in captured if not q["sql"].lstrip().upper().startswith(control))


def _red_flag_keys() -> list[str]:
    from patients.models import RED_FLAGS

    return list(RED_FLAGS)


def time_api_in_process(count: int, profile_to: str | None = None) -> dict[str, float]:
    """Mean and median time of one API submission (each a create, on its own patient, 30-item program),
    in-process: Django, DRF, the service and PostgreSQL, no HTTP server; and of the baseline endpoint with the same
    token, each call right after the submission it is compared with. With `profile_to`, pyinstrument's report of
    the submissions alone."""
    from bench.baseline import PATH as BASELINE
    from clinics.models import Clinic

    clinic, _ = Clinic.objects.get_or_create(slug="bench-load", defaults={"name": "Bench load clinic"})
    program = _program_with(clinic, 30)
    stamp = time.time_ns()
    prepared = []
    for n in range(count + 5):
        client = _api_client(_fresh_patient(clinic, program, stamp + n))
        prepared.append((client, _payload(client)))
    for client, body in prepared[:5]:  # warm-up
        client.post("/api/v1/me/checkins/", body, content_type="application/json")
    profiler = None
    if profile_to:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    for client, _ in prepared[:5]:
        client.post(BASELINE, b"{}", content_type="application/json")
    times, baseline_times = [], []
    for client, body in prepared[5:]:
        started = time.perf_counter()
        response = client.post("/api/v1/me/checkins/", body, content_type="application/json")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.content
        if profiler is None:
            started = time.perf_counter()
            response = client.post(BASELINE, b"{}", content_type="application/json")
            baseline_times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content
    if profiler is not None:
        profiler.stop()
        with open(profile_to, "w") as out:
            out.write(profiler.output_text(unicode=True, color=False, show_all=False))
        return {"mean_ms": statistics.fmean(times), "median_ms": statistics.median(times)}
    baseline = statistics.median(baseline_times)
    return {
        "mean_ms": statistics.fmean(times),
        "median_ms": statistics.median(times),
        "baseline_median_ms": baseline,
        "ratio": statistics.median(times) / baseline,
    }


# --- the run ---------------------------------------------------------------------------------------------------


def run(quick: bool = False) -> dict[str, Any]:
    global _RUN_STARTED
    from django.db import connection
    from django.utils import timezone

    from bench import loadgen
    from bench.baseline import PATH as BASELINE
    from bench.server import gunicorn
    from patients import links, services

    seconds = 2.0 if quick else SECONDS
    per_level = 60 if quick else PATIENTS_PER_LEVEL
    levels = LEVELS
    started = time.monotonic()
    load_at_start = os.getloadavg()[0]
    print("preparing data ...", flush=True)
    warm = 32  # per target: every gunicorn thread's first check-in (imports, connections) is not measured
    patients = seeded_patients(2 * (per_level * len(levels) + warm))
    clear_this_week(patients)
    _RUN_STARTED = timezone.now()
    api_patients, page_patients = patients[: len(patients) // 2], patients[len(patients) // 2 :]
    tokens = [services.issue_patient_token(patient=p)[0] for p in api_patients]
    link_paths = [f"/checkin/{links.issue_token(p)}/" for p in page_patients]
    statements = {size: statements_per_submission(size) for size in (1, 30)}
    in_process = time_api_in_process(20 if quick else 60)
    connection.close()

    results: dict[str, dict[int, loadgen.Result]] = {"livez": {}, "baseline": {}, "api": {}, "page": {}}
    with gunicorn(SERVER_ENV) as base:
        print(f"server up at {base}; opening {len(link_paths)} page sessions ...", flush=True)
        with ThreadPoolExecutor(max_workers=8) as pool:
            sessions = list(pool.map(lambda path: open_page_session(base, path), link_paths))
        warm_up = {"clients": 16, "seconds": 3.0, "max_requests": warm}
        loadgen.run(base, livez_maker, **{**warm_up, "max_requests": 500})
        warmed = [loadgen.run(base, api_maker(tokens[-warm:], 16), **warm_up)]
        warmed.append(loadgen.run(base, page_maker(sessions[-warm:], 16), ok_statuses=frozenset({302}), **warm_up))
        for index, clients in enumerate(levels):
            api_tokens = tokens[index * per_level : (index + 1) * per_level]
            page_sessions = sessions[index * per_level : (index + 1) * per_level]
            common = {"clients": clients, "seconds": seconds, "max_requests": 20000}
            results["livez"][clients] = loadgen.run(base, livez_maker, **common)
            results["baseline"][clients] = loadgen.run(base, api_maker(api_tokens, clients, BASELINE), **common)
            results["api"][clients] = loadgen.run(base, api_maker(api_tokens, clients), **common)
            results["page"][clients] = loadgen.run(
                base, page_maker(page_sessions, clients), ok_statuses=frozenset({302}), **common
            )
            for name in ("livez", "baseline", "api", "page"):
                r = results[name][clients]
                print(
                    f"{name:5} {clients:3} clients: {r.throughput:7.1f}/s  p50 {r.percentile(50):6.1f}  "
                    f"p95 {r.percentile(95):6.1f}  p99 {r.percentile(99):6.1f} ms  errors {r.errors}",
                    flush=True,
                )
    ok = sum(r.requests - r.errors for name in ("api", "page") for r in results[name].values())
    ok += sum(r.requests - r.errors for r in warmed)
    stored = submissions_stored(patients)
    return {
        "results": results,
        "statements": statements,
        "in_process": in_process,
        "submitted_ok": ok,
        "stored": stored,
        "seconds": time.monotonic() - started,
        "load": (load_at_start, os.getloadavg()[0]),
    }


def _row(label: str, r: Any, *baselines: Any) -> str:
    ratios = [f"{r.throughput / b.throughput:.2f}" if b.throughput else "" for b in baselines]
    ratios += [""] * (2 - len(ratios))
    return (
        f"| {label} | {r.clients} | {r.requests:,} | {r.errors} | {r.throughput:.1f} | {r.percentile(50):.1f} | "
        f"{r.percentile(95):.1f} | {r.percentile(99):.1f} | {' | '.join(ratios)} |"
    )


def report(data: dict[str, Any]) -> str:
    results = data["results"]
    lines = [
        "## Check-ins under load (`python -m bench load`)",
        "",
        "The app under gunicorn (4 workers x 4 threads, DEBUG off) on PostgreSQL and Redis, driven from the same "
        f"machine by `bench.loadgen` (closed loop, {SECONDS:.0f} s per row). Baseline: `GET /livez`, a minimal "
        "Django view through the whole middleware stack, measured in the same run. API: `POST /api/v1/me/checkins/` "
        "with a patient token. Baseline endpoint: `POST /bench/baseline/` (`bench.baseline`), the same token "
        "authenticated and one row inserted in a transaction. Page: `POST /checkin/` with the session opened from "
        "the magic link and the CSRF token of the loaded form (both prepared before the clock starts). Each "
        "client has its own patients, so most submissions create the week's check-in and the rest update it. "
        "Latencies in ms; ratios = throughput / that baseline's throughput at the same concurrency.",
        "",
        "| target | clients | requests | errors | per second | p50 | p95 | p99 | ratio to /livez "
        "| ratio to baseline endpoint |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for clients in LEVELS:
        base, endpoint = results["livez"][clients], results["baseline"][clients]
        lines.append(_row("baseline `/livez`", base))
        lines.append(_row("baseline endpoint", endpoint, base))
        lines.append(_row("API check-in", results["api"][clients], base, endpoint))
        lines.append(_row("page check-in", results["page"][clients], base, endpoint))
    api50, page50 = results["api"][50], results["page"][50]
    base50 = results["livez"][50]
    statements = data["statements"]
    lines += [
        "",
        f"- **Ratio at 50 clients**: API {api50.throughput / base50.throughput:.2f}, page "
        f"{page50.throughput / base50.throughput:.2f} (aim >= 0.5). **p99 at 50 clients**: API "
        f"{api50.percentile(99):.0f} ms, page {page50.percentile(99):.0f} ms (aim < 250 ms).",
        f"- **Nothing lost**: {data['submitted_ok']:,} submissions answered 201/200/302, and the versions of this "
        f"week's check-ins in the database add up to {data['stored']:,}.",
        f"- **SQL statements per submission** (a create, counted with `CaptureQueriesContext`; in brackets "
        f"without BEGIN/SAVEPOINT/RELEASE/COMMIT): API {statements[1]['api']} ({statements[1]['api_sql']}) with a "
        f"1-activity program and {statements[30]['api']} ({statements[30]['api_sql']}) with a 30-activity one; "
        f"page {statements[1]['page']} ({statements[1]['page_sql']}) and {statements[30]['page']} "
        f"({statements[30]['page_sql']}), the page's including its session read and save (aim <= 10 whatever "
        "the size).",
        f"- **In-process** (Django test client, no HTTP server, 30-activity program): one API submission takes "
        f"{data['in_process']['mean_ms']:.1f} ms on average ({data['in_process']['median_ms']:.1f} ms median); "
        f"the baseline endpoint with the same token {data['in_process']['baseline_median_ms']:.1f} ms median, so "
        f"a check-in costs **{data['in_process']['ratio']:.2f}x the baseline endpoint** (aim <= 2.5).",
        f"- **Under gunicorn at 50 clients**: API check-in p99 {api50.percentile(99):.0f} ms with "
        f"{api50.errors} errors (aim < 500 ms, none).",
        f"- Whole run, data preparation included: {data['seconds']:.0f} s; 1-minute load average "
        f"{data['load'][0]:.1f} at the start, {data['load'][1]:.1f} at the end (the bench's own load included).",
    ]
    ratio = min(api50.throughput, page50.throughput) / base50.throughput
    if ratio < 0.5 or max(api50.percentile(99), page50.percentile(99)) >= 250:
        per_request = 1000 / base50.throughput * 2  # both cores busy: CPU time per baseline request
        lines.append(
            "- **Aims not met in this run.** Throughput is bound by the work per request (each client has its own "
            "patients, so no submission waits on another's row lock): "
            f"a submission costs about {data['in_process']['median_ms']:.0f} ms in-process (Django, DRF, the ORM "
            f"and its statements) against about {per_request:.1f} ms for the baseline view, so on these 2 shared "
            f"cores the ratio stays near {ratio:.2f}; the p99 at 50 clients is queueing behind that throughput "
            f"(50 clients / {api50.throughput:.0f} per second is {50 / api50.throughput * 1000:.0f} ms per turn). "
            "More gunicorn processes on more cores raise the throughput; the ratio to a no-op view stays a "
            "property of the work a check-in must do."
        )
    if data["in_process"]["ratio"] > 2.5:
        lines.append(
            "- **Why the in-process ratio stays near 3.** The baseline endpoint runs 2 statements, the token read and "
            f"one insert. A check-in runs {statements[30]['api_sql']}, and each of the four the baseline lacks is "
            "there for a rule: the week's plan (the quotas and adherence), the episode's earlier check-ins under lock "
            "(quotas, the flare and worsening rules, the summary; the lock queues a patient's concurrent "
            "submissions), the check-in itself, and the episode's summary, which must commit with the answers. The "
            "token read also brings the open episode. Django spends 1-2.5 ms per statement building, compiling and "
            "reading it, against 0.1-0.6 ms for PostgreSQL to run it, so the ratio tends to 6 / 2 whatever one "
            "statement costs, plus the rules' own Python (about 2 ms for 30 activities). Reaching 2.5x would take "
            "one of the six away, or the hot statements written as SQL by hand: a second path beside the models, "
            "which this project does not take."
        )
    endpoint50 = results["baseline"][50]
    if api50.percentile(99) >= 500:
        turn = 50 / api50.throughput  # seconds: the mean wait of a closed loop of 50 clients
        spread = api50.percentile(99) / 1000 / turn
        needed = 50 * spread / 0.5
        lines.append(
            "- **Issue 19's p99 under 500 ms at 50 clients, not met here.** In a closed loop each client sends its "
            f"next submission when the last is answered, so the mean wait is 50 / throughput: {turn * 1000:.0f} ms "
            f"at the API's {api50.throughput:.0f} a second, and its p99 was {spread:.1f}x that. A p99 under 500 ms "
            f"so needs about {needed:.0f} submissions a second, {needed / api50.throughput:.1f}x what these 2 cores "
            "gave while also running PostgreSQL and the load generator: a check-in would have to cost about as "
            "little as the baseline endpoint (the same token, one insert), which answered "
            f"{endpoint50.throughput:.0f} a second with a p99 of {endpoint50.percentile(99):.0f} ms. For scale: "
            "100,000 patients checking in once a week send 0.17 submissions a second on average."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for trying the bench itself")
    parser.add_argument("--profile", metavar="FILE", help="only profile in-process API submissions to FILE")
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/BENCHMARKS.md")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        help="only the in-process figures: statements per submission and N API submissions timed against the "
        "baseline endpoint (no server, no writing)",
    )
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    from django.conf import settings

    if settings.configured:
        # Another benchmark set Django up in this process with other settings: run in a fresh one.
        forwarded = [a for a, on in (("--quick", args.quick), ("--no-write", args.no_write)) if on]
        subprocess.run([sys.executable, "-m", "bench.load", *forwarded], check=True)
        return
    _setup()
    if args.profile:
        print(json.dumps(time_api_in_process(60, profile_to=args.profile)))
        return
    if args.in_process:
        statements = {size: statements_per_submission(size) for size in (1, 30)}
        print(json.dumps({"statements": statements, "in_process": time_api_in_process(args.in_process)}))
        return
    data = run(quick=args.quick)
    text = report(data)
    print(text)
    if not args.no_write and not args.quick:
        from bench.report import write_section

        write_section("load", text)


if __name__ == "__main__":
    main()
