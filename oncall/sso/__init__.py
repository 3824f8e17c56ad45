"""Single sign-on with OpenID Connect: the provider's endpoints, the authentication backend, the
group-to-team sync and the login views. Settings come from config/oidc.py."""
