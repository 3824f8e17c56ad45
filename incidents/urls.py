from django.urls import path

from . import status_update_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/notes/", views.incident_note, name="note"),
    path("incidents/<int:pk>/reassign/", views.incident_reassign_view, name="reassign"),
    path("incidents/<int:pk>/status-updates/", status_update_views.status_update_create, name="status_update"),
    path("incidents/<int:pk>/follow/", status_update_views.incident_follow, name="follow"),
    *(
        path(f"incidents/<int:pk>/{action}/", views.incident_action, {"action": action}, name=action)
        for action in views.ACTIONS
    ),
]
