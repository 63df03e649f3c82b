"""The staff review queue: its rules (QuerySet), its admin page, "Verified today" and problem reports."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import override_settings
from django.urls import reverse

from programmes import services
from programmes.choices import DeadlineType, PublicationState, ReportStatus, ReviewReason
from programmes.models import ProblemReport, Programme
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:programmes_programmetoreview_changelist"


def days_ago(n):
    return datetime.date(2026, 3, 1) - datetime.timedelta(days=n)


def fresh(**kwargs):
    """A programme that needs no review unless ``kwargs`` give it a reason."""
    return ProgrammeFactory(**{"last_verified_on": days_ago(1), **kwargs})


def queue(**kwargs):
    return [(p.slug, p.review_reasons()) for p in Programme.objects.needing_review(**kwargs)]


@pytest.fixture(autouse=True)
def _english_admin(client, admin_client):
    for c in (client, admin_client):
        c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_not_verified_for_more_than_90_days_or_never(today):
    fresh(slug="checked-90-days-ago", last_verified_on=days_ago(90))
    fresh(slug="checked-91-days-ago", last_verified_on=days_ago(91))
    fresh(slug="never-checked", last_verified_on=None)
    assert queue() == [
        ("never-checked", [ReviewReason.NOT_VERIFIED]),
        ("checked-91-days-ago", [ReviewReason.NOT_VERIFIED]),
    ]


@override_settings(REVIEW_AFTER_DAYS=30)
def test_review_period_is_a_setting(today):
    fresh(slug="checked-31-days-ago", last_verified_on=days_ago(31))
    fresh(slug="checked-30-days-ago", last_verified_on=days_ago(30))
    assert queue() == [("checked-31-days-ago", [ReviewReason.NOT_VERIFIED])]


def test_closing_date_passed_and_recurring_without_next_round(today):
    fresh(slug="fixed-closed-yesterday", deadline_type=DeadlineType.FIXED, closes_on=days_ago(1))
    fresh(slug="fixed-closes-today", deadline_type=DeadlineType.FIXED, closes_on=today)
    fresh(slug="rolling-with-past-end", deadline_type=DeadlineType.ROLLING, closes_on=days_ago(3))
    fresh(slug="recurring-round-over", deadline_type=DeadlineType.RECURRING, closes_on=days_ago(10))
    fresh(
        slug="recurring-next-round-known",
        deadline_type=DeadlineType.RECURRING,
        opens_on=today,
        closes_on=today,
    )
    fresh(slug="recurring-no-dates-yet", deadline_type=DeadlineType.RECURRING)
    assert sorted(queue()) == [
        ("fixed-closed-yesterday", [ReviewReason.DEADLINE_PASSED]),
        ("recurring-round-over", [ReviewReason.NO_NEXT_ROUND]),
        ("rolling-with-past-end", [ReviewReason.DEADLINE_PASSED]),
    ]


def test_broken_links_are_404_410_5xx_and_network_errors(today):
    for slug, result in [
        ("ok", "200"),
        ("forbidden", "403"),
        ("not-found", "404"),
        ("gone", "410"),
        ("server-error", "503"),
        ("timed-out", "timeout"),
        ("no-such-host", "dns"),
    ]:
        fresh(slug=slug, apply_url="https://example.kz/", apply_url_result=result)
    fresh(slug="broken-source", source_url="https://example.kz/", source_url_result="500")
    assert sorted(queue()) == [
        (slug, [ReviewReason.BROKEN_LINK])
        for slug in ["broken-source", "gone", "no-such-host", "not-found", "server-error", "timed-out"]
    ]


def test_open_problem_report_until_resolved(today, admin_user):
    reported = fresh(slug="reported")
    report = services.report_problem(reported, "The grant is now 10 million.")
    assert queue() == [("reported", [ReviewReason.PROBLEM_REPORTED])]
    services.resolve_reports(ProblemReport.objects.filter(pk=report.pk), admin_user)
    assert queue() == []


def test_two_reasons_and_oldest_verification_first(today):
    fresh(slug="reported-and-stale", last_verified_on=days_ago(200))
    services.report_problem(Programme.objects.get(slug="reported-and-stale"), "Wrong amount")
    fresh(
        slug="closed-and-never-checked", last_verified_on=None, closes_on=days_ago(5), deadline_type="fixed"
    )
    fresh(slug="stale", last_verified_on=days_ago(100))
    assert queue() == [
        ("closed-and-never-checked", [ReviewReason.NOT_VERIFIED, ReviewReason.DEADLINE_PASSED]),
        ("reported-and-stale", [ReviewReason.NOT_VERIFIED, ReviewReason.PROBLEM_REPORTED]),
        ("stale", [ReviewReason.NOT_VERIFIED]),
    ]


def test_only_published_programmes_are_reviewed(today):
    fresh(slug="published", last_verified_on=None)
    fresh(slug="draft", last_verified_on=None, state=PublicationState.DRAFT)
    fresh(slug="archived", last_verified_on=None, state=PublicationState.ARCHIVED, closes_on=days_ago(9))
    assert queue() == [("published", [ReviewReason.NOT_VERIFIED])]


# --- The admin page --------------------------------------------------------------------------


def _rows(response):
    return [p.slug for p in response.context["cl"].result_list]


def test_queue_page_lists_reasons_and_filters_by_reason(admin_client, today):
    fresh(slug="stale", last_verified_on=days_ago(100), title_en="Stale fund")
    fresh(slug="broken", apply_url="https://example.kz/x", apply_url_result="404", title_en="Broken fund")
    response = admin_client.get(reverse(QUEUE))
    html = response.content.decode()
    assert _rows(response) == ["stale", "broken"]
    assert '<ul class="review-reasons"><li>Not verified recently</li></ul>' in html
    assert '<ul class="review-reasons"><li>Broken link (application link: 404)</li></ul>' in html
    assert _rows(admin_client.get(reverse(QUEUE), {"reason": "broken-link"})) == ["broken"]
    assert _rows(admin_client.get(reverse(QUEUE), {"reason": "not-verified"})) == ["stale"]


def test_verified_today_button_records_who_and_when_and_leaves_the_queue(admin_client, admin_user, today):
    programme = fresh(slug="stale", last_verified_on=days_ago(100))
    other = fresh(slug="also-stale", last_verified_on=days_ago(120))
    page = admin_client.get(reverse(QUEUE), {"reason": "not-verified"}).content.decode()
    verify_url = reverse("admin:programmes_programmetoreview_verify", args=[programme.pk])
    assert f'formaction="{verify_url}" formmethod="post"' in page
    assert admin_client.get(verify_url).status_code == 405

    response = admin_client.post(f"{verify_url}?reason=not-verified")

    assert response["Location"] == reverse(QUEUE) + "?reason=not-verified"
    programme.refresh_from_db()
    other.refresh_from_db()
    assert (programme.last_verified_on, programme.verified_by) == (today, admin_user)
    assert (other.last_verified_on, other.verified_by) == (days_ago(120), None)
    assert _rows(admin_client.get(reverse(QUEUE))) == ["also-stale"]
    change_page = admin_client.get(reverse("admin:programmes_programme_change", args=[programme.pk]))
    assert '<label class="inline">Verified by:</label>' in change_page.content.decode()
    assert change_page.context["original"].verified_by == admin_user


def test_verified_today_needs_the_csrf_token(admin_user, today):
    from django.test import Client

    programme = fresh(last_verified_on=None)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    response = client.post(reverse("admin:programmes_programmetoreview_verify", args=[programme.pk]))
    assert response.status_code == 403
    programme.refresh_from_db()
    assert programme.last_verified_on is None


def test_verify_action_on_selected_rows(admin_client, admin_user, today):
    chosen = fresh(slug="chosen", last_verified_on=None)
    fresh(slug="not-chosen", last_verified_on=None)
    admin_client.post(reverse(QUEUE), {"action": "mark_verified_today", "_selected_action": [chosen.pk]})
    chosen.refresh_from_db()
    assert (chosen.last_verified_on, chosen.verified_by) == (today, admin_user)
    assert _rows(admin_client.get(reverse(QUEUE))) == ["not-chosen"]


def test_the_programme_lists_verify_action_records_the_user_too(admin_client, admin_user, today):
    programme = fresh(last_verified_on=None)
    admin_client.post(
        reverse("admin:programmes_programme_changelist"),
        {"action": "mark_verified_today", "_selected_action": [programme.pk]},
    )
    programme.refresh_from_db()
    assert (programme.last_verified_on, programme.verified_by) == (today, admin_user)


def test_viewers_see_the_queue_without_the_button_and_cannot_verify(client, today):
    programme = fresh(last_verified_on=None)
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_programme"))
    client.force_login(viewer)
    response = client.get(reverse(QUEUE))
    assert _rows(response) == [programme.slug]
    assert "formaction" not in response.content.decode()
    verify_url = reverse("admin:programmes_programmetoreview_verify", args=[programme.pk])
    assert client.post(verify_url).status_code == 403
    programme.refresh_from_db()
    assert programme.last_verified_on is None


def test_editors_use_the_queue_and_resolve_reports(client, today):
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    programme = fresh(slug="reported")
    report = services.report_problem(programme, "Link is dead")
    assert _rows(client.get(reverse(QUEUE))) == ["reported"]
    client.post(
        reverse("admin:programmes_problemreport_changelist"),
        {"action": "mark_resolved", "_selected_action": [report.pk]},
    )
    report.refresh_from_db()
    assert (report.status, report.resolved_by, report.resolved_at is not None) == (
        ReportStatus.RESOLVED,
        editor,
        True,
    )
    assert _rows(client.get(reverse(QUEUE))) == []


def test_problem_report_admin_lists_reports_escaped(admin_client, today):
    programme = fresh(slug="reported", title_en="Film fund")
    services.report_problem(programme, "<script>alert(1)</script> deadline moved", email="a@example.kz")
    html = admin_client.get(reverse("admin:programmes_problemreport_changelist")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; deadline moved" in html
    assert "<script>alert(1)</script>" not in html
    queue_html = admin_client.get(reverse(QUEUE)).content.decode()
    assert "Problem reported by a visitor (<a href=" in queue_html


def test_queue_rows_open_the_programme_page(admin_client, today):
    programme = fresh(last_verified_on=None)
    response = admin_client.get(reverse("admin:programmes_programmetoreview_change", args=[programme.pk]))
    assert response["Location"] == reverse("admin:programmes_programme_change", args=[programme.pk])


def test_typing_a_verification_date_in_the_form_records_the_person_saving(admin_client, admin_user, today):
    from tests.factories import OrganisationFactory, ProgrammeTypeFactory
    from tests.test_admin import _programme_form

    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"),
        _programme_form(organisation, grant, last_verified_on="2026-02-27"),
    )
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert (programme.last_verified_on, programme.verified_by) == (datetime.date(2026, 2, 27), admin_user)
