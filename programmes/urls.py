from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/", views.programme_list, name="list"),
    path("programmes/export.<str:file_type>", views.programme_export, name="export"),
    path("programmes/<slug:slug>/", views.programme_detail, name="detail"),
    path("programmes/<slug:slug>/report/", views.report_problem, name="report"),
    path("programmes/<slug:slug>/report/thanks/", views.report_thanks, name="report_thanks"),
    path("suggest/", views.suggest_programme, name="suggest"),
    path("suggest/thanks/", views.suggest_thanks, name="suggest_thanks"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
]
