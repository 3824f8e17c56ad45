"""Where outgoing webhooks may go: never into the network Vigil runs in.

A subscriber chooses the URL, so without this check anyone who may manage a team could make
Vigil's servers call a cloud metadata endpoint, a database admin page or anything else that
trusts the private network (server-side request forgery). Every address the host resolves to is
checked, at creation and again before each request (DNS answers change). A name that resolves
to a public address when checked and to a private one when connected (DNS rebinding) is not
caught: keep webhook workers outside networks that trust their callers if that matters."""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# The one place names are resolved; the test suite replaces it so that no test asks a DNS server.
resolve = socket.getaddrinfo


def destination_problem(url: str) -> str | None:
    """Why `url` may not receive webhooks, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return "The URL must start with https:// or http://."
    if not parts.hostname:
        return "The URL names no host."
    if parts.username or parts.password:
        return "The URL must not carry a user name or password; the signature authenticates Vigil."
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "The URL's port is not a number between 1 and 65535."
    try:
        infos = resolve(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return f"The host {parts.hostname!r} cannot be resolved."
    if settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE:
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return (f"The host {parts.hostname!r} resolves to {address}, a private, loopback, link-local or "
                    "reserved address; webhooks go to public addresses only.")
    return None
