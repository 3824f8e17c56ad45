from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oncall.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it. It is shown only this once: only its hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A label to tell this token apart (default: cli).")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}. Create one with `manage.py createsuperuser`.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; its tokens would be refused.")
        if not name.strip() or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        _, raw = api_token_create(user=user, name=name.strip())
        self.stdout.write(raw)
        self.stderr.write(f"Token {name.strip()!r} for {username}: store it now, it cannot be shown again.")
