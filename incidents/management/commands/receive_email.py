"""`manage.py receive_email <token>`: one alert mail on standard input, from a local MTA's pipe.

Exit codes are sysexits(3), which MTAs read: 0 stored; 65 (EX_DATAERR) the mail is malformed or too
large, bounced; 67 (EX_NOUSER) no enabled email integration has this token, bounced; 75
(EX_TEMPFAIL) the database is unreachable or the integration is over its rate limit: the MTA
keeps the mail and tries again later, so an outage delays an alert instead of losing it.
"""
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from incidents.alert_endpoints import Rejected
from incidents.email_intake import mail_receive
from incidents.sources import ParseError

EX_OK = 0
EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75
CODE_BY_STATUS = {404: EX_NOUSER, 429: EX_TEMPFAIL}


class Command(BaseCommand):
    help = "Read one alert email from standard input (an MTA's pipe) for the email integration with this token."

    def add_arguments(self, parser):
        parser.add_argument("token", help="the integration token, or its whole address (token@domain)")

    def handle(self, *args, **options):
        # An MTA may hand over the whole recipient address, in angle brackets or not.
        token = options["token"].strip().strip("<>").partition("@")[0]
        raw = sys.stdin.buffer.read(settings.INTAKE_MAX_BODY_BYTES + 1)  # one byte more tells it is too large
        try:
            outcomes = mail_receive(token=token, raw=raw)
        except Rejected as r:
            raise CommandError(r.message, returncode=CODE_BY_STATUS.get(r.status, EX_DATAERR)) from None
        except ParseError as e:
            raise CommandError(str(e), returncode=EX_DATAERR) from None
        except (OperationalError, InterfaceError) as e:
            raise CommandError(f"The database is unreachable ({type(e).__name__}); try again later.",
                               returncode=EX_TEMPFAIL) from None
        for outcome in outcomes:
            number = f" #{outcome.incident.number}" if outcome.incident else ""
            self.stdout.write(f"{outcome.result}{number}: {outcome.event.summary}")
