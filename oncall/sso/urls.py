from django.urls import path

from . import views

# The names mozilla-django-oidc reverses.
urlpatterns = [
    path("authenticate/", views.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", views.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
]
