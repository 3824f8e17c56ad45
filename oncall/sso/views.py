"""The login page (password form and/or the single sign-on button) and the two SSO endpoints:
start (to the provider, with state, nonce and PKCE kept in the session) and callback."""
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .provider import ProviderUnavailable, provider_endpoints

logger = logging.getLogger(__name__)

SSO_FAILED = "Single sign-on did not log you in. Try again, or ask an administrator to check the provider's settings."


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, password_login=settings.PASSWORD_LOGIN,
                                         sso_label=settings.OIDC_LOGIN_LABEL if settings.OIDC_ENABLED else "")

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)


class _SsoOnly(View):
    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured")
        return super().dispatch(request, *args, **kwargs)


class SsoStartView(_SsoOnly, OIDCAuthenticationRequestView):
    def __init__(self, **kwargs):
        # The library reads the endpoint in __init__; discovery may need the network, so it
        # waits for a request that starts a login.
        View.__init__(self, **kwargs)

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints().authorization
        except ProviderUnavailable as e:
            logger.warning("single sign-on cannot start: %s", e)
            messages.error(request, SSO_FAILED)
            return HttpResponseRedirect(reverse("login"))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SsoCallbackView(_SsoOnly, OIDCAuthenticationCallbackView):
    @property
    def failure_url(self):
        return reverse("login")

    def get(self, request):
        # RFC 9207: a provider that names itself in the answer must be ours, or another provider
        # is trying to pass its code off as our provider's (a mix-up attack).
        if "iss" in request.GET and request.GET["iss"] != settings.OIDC_ISSUER:
            logger.warning("single sign-on refused: the answer comes from issuer %r", request.GET["iss"])
            return self.login_failure()
        return super().get(request)

    def login_failure(self):
        messages.error(self.request, SSO_FAILED)
        return super().login_failure()
