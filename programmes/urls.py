from django.urls import path

from . import feeds, views, views_open

app_name = "programmes"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/", views.programme_list, name="list"),
    path("programmes/export.<str:file_type>", views.programme_export, name="export"),
    path("programmes/feed.atom", feeds.search_feed, name="feed"),
    path("programmes/calendar.ics", feeds.search_calendar, name="calendar"),
    path("programmes/<slug:slug>/", views.programme_detail, name="detail"),
    path("programmes/<slug:slug>/report/", views.report_problem, name="report"),
    path("programmes/<slug:slug>/report/thanks/", views.report_thanks, name="report_thanks"),
    path("suggest/", views.suggest_programme, name="suggest"),
    path("suggest/thanks/", views.suggest_thanks, name="suggest_thanks"),
    path("programmes/<slug:slug>/calendar.ics", feeds.programme_calendar, name="programme_calendar"),
    path("programmes/<slug:slug>/remind/", views.reminder_subscribe, name="remind"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("embed/", views_open.embed, name="embed"),
    path("can-i-apply/", views_open.can_i_apply, name="can_i_apply"),
    path("open-data/", views_open.open_data, name="open_data"),
    path("alerts/", views.alert_subscribe, name="alert_subscribe"),
    path("alerts/sent/", views.subscription_sent, name="subscription_sent"),
    path("alerts/confirm/<str:token>/", views.subscription_confirm, name="confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("alerts/manage/<str:token>/", views.manage_subscriptions, name="manage"),
]
