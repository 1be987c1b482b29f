"""Sync sources now, in this process, with a progress bar and a one-line summary each."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from opportunities.models import RunStatus, Source
from opportunities.sources import syncing


class Command(BaseCommand):
    help = (
        "Read public sources now and bring their listings up to date, exactly as Celery beat "
        "does. Safe to run again: an unchanged source changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Source names (default: every enabled one).")
        parser.add_argument(
            "--due", action="store_true", help="Only the enabled sources whose time has come."
        )
        parser.add_argument(
            "--enable",
            action="store_true",
            help="Enable the named sources (beat then runs them on schedule) and run them now.",
        )

    def handle(self, *args, names: list[str], due: bool, enable: bool, **options):
        if enable and not names:
            raise CommandError("Name the sources to enable, e.g. sync_sources --enable Grants.gov")
        if names:
            sources = list(Source.objects.filter(name__in=names))
            missing = set(names) - {source.name for source in sources}
            if missing:
                raise CommandError(
                    f"No source named {', '.join(sorted(missing))}; the sources are: "
                    f"{', '.join(Source.objects.values_list('name', flat=True)) or 'none'}."
                )
            if enable:
                Source.objects.filter(pk__in=[s.pk for s in sources]).update(enabled=True)
                self.stdout.write(f"Enabled {', '.join(s.name for s in sources)}.")
        else:
            sources = list(Source.objects.filter(enabled=True))
            if due:
                sources = [source for source in sources if source.is_due()]
        if not sources:
            self.stdout.write("No source to run (enable one in the admin, or name it).")
            return
        failed = 0
        for source in sources:
            with tqdm(
                desc=source.name,
                unit="item",
                disable=options["verbosity"] == 0,
                file=self.stderr,
            ) as progress:
                run = syncing.sync_source(source, progress=progress.update)
            failed += run.status == RunStatus.FAILED
            self.stdout.write(run.summary() + ".")
        if failed:
            raise CommandError(f"{failed} of {len(sources)} source(s) failed; see above.")
