from django.urls import path

from . import severity_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/notes/", views.incident_note, name="note"),
    path("incidents/<int:pk>/reassign/", views.incident_reassign_view, name="reassign"),
    path("incidents/<int:pk>/severity/", severity_views.incident_severity_view, name="severity"),
    *(
        path(f"incidents/<int:pk>/{action}/", views.incident_action, {"action": action}, name=action)
        for action in views.ACTIONS
    ),
]
