"""`manage.py vigil export [-o FILE]` and `manage.py vigil apply FILE [--prune] [--dry-run]`."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.config_as_code.apply import configuration_apply
from incidents.config_as_code.document import Problems
from incidents.config_as_code.export import configuration_export


class Command(BaseCommand):
    help = "Configuration as code: export the configuration to YAML, or apply a YAML file."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="write teams, schedules, policies, services and integrations")
        export.add_argument("-o", "--output", help="write to this file instead of standard output")
        apply = actions.add_parser("apply", help="print the plan, then make the database match the file")
        apply.add_argument("file")
        apply.add_argument("--prune", action="store_true",
                           help="also delete what the file leaves out, within the teams it names")
        apply.add_argument("--dry-run", action="store_true", help="print the plan only; change nothing")

    def handle(self, *args, **options):
        if options["action"] == "export":
            return self.export(options["output"])
        return self.apply(options["file"], prune=options["prune"], dry_run=options["dry_run"])

    def export(self, output: str | None) -> None:
        text = configuration_export()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")

    def apply(self, path: str, *, prune: bool, dry_run: bool) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CommandError(f"Cannot read {path}: {e}") from None
        try:
            outcome = configuration_apply(text=text, prune=prune, dry_run=dry_run)
        except Problems as e:
            raise CommandError("\n".join(f"{path}:{line}: {message}" for line, message in e.problems)
                               + "\nNothing was changed.") from None
        self.stdout.write("\n".join(outcome.plan))
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
            return
        if outcome.changed:
            self.stdout.write(self.style.SUCCESS(f"Applied {len(outcome.plan)} change(s)."))
        for note in outcome.new_integrations:
            self.stdout.write(f"New {note}")
        if outcome.new_integrations:
            self.stdout.write("Each URL holds its integration's token: shown this once, stored only as a hash.")
