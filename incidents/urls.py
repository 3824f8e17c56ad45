from django.urls import path

from .views import action_items as action_item_views
from .views import incidents as views
from .views import panel as panel_views
from .views import postmortems as postmortem_views
from .views import services as service_pages
from .views import severity as severity_views
from .views import status_updates as status_update_views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/notes/", views.incident_note, name="note"),
    path("incidents/<int:pk>/reassign/", views.incident_reassign_view, name="reassign"),
    *service_pages.urlpatterns,
    *action_item_views.urlpatterns,
    path("incidents/<int:pk>/severity/", severity_views.incident_severity_view, name="severity"),
    path("incidents/<int:pk>/status-updates/", status_update_views.status_update_create, name="status_update"),
    path("incidents/<int:pk>/follow/", status_update_views.incident_follow, name="follow"),
    *(
        path(f"incidents/<int:pk>/{action}/", views.incident_action, {"action": action}, name=action)
        for action in views.ACTIONS
    ),
    path("incidents/<int:pk>/postmortem/", postmortem_views.incident_postmortem_start, name="postmortem_start"),
    path("postmortems/", postmortem_views.postmortem_list, name="postmortems"),
    path("postmortems/<int:pk>/", postmortem_views.postmortem_detail, name="postmortem"),
    path("postmortems/<int:pk>/edit/", postmortem_views.postmortem_edit, name="postmortem_edit"),
    path("postmortems/<int:pk>/preview/", postmortem_views.postmortem_preview, name="postmortem_preview"),
    path("postmortems/<int:pk>/status/", postmortem_views.postmortem_status, name="postmortem_status"),
    path("postmortems/<int:pk>/owner/", postmortem_views.postmortem_owner, name="postmortem_owner"),
    path("postmortems/<int:pk>/postmortem.md", postmortem_views.postmortem_download, name="postmortem_markdown"),
    *(path(f"incidents/<int:pk>/{route}", view, name=name) for route, view, name in panel_views.URL_PATTERNS),
]
