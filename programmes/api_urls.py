"""/api/v1/: the public JSON API (programmes/api.py), its OpenAPI schema and its documentation."""

from django.urls import path, re_path

from . import api

urlpatterns = [
    path("programmes/", api.ProgrammeList.as_view(), name="api-programmes"),
    # Any text, so that every address under programmes/ is answered by the API in JSON (a 404
    # for a slug that is not a published programme's), never by the site's HTML 404 page.
    path("programmes/<path:slug>/", api.ProgrammeDetail.as_view(), name="api-programme"),
    path("organisations/", api.OrganisationList.as_view(), name="api-organisations"),
    path("types/", api.type_list, name="api-types"),
    path("sectors/", api.sector_list, name="api-sectors"),
    path("places/", api.place_list, name="api-places"),
    path("applicant-kinds/", api.applicant_kind_list, name="api-applicant-kinds"),
    path("business-sizes/", api.business_size_list, name="api-business-sizes"),
    path("schema/", api.SchemaView.as_view(), name="api-schema"),
    path("docs/", api.DocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", api.NotFoundView.as_view(), name="api-not-found"),
]
