"""Send (or with --dry-run, count) one frequency's digests now, in this process."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from opportunities import digests
from opportunities.models import DigestRun, Frequency


class Command(BaseCommand):
    help = (
        "Send the digests of a frequency for the current period, exactly as Celery beat does, "
        "but in this process. Subscribers already served this period are skipped, so it is "
        "safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--frequency", required=True, help="daily, weekly or monthly")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would get a digest; send nothing."
        )

    def handle(self, *args, frequency: str, dry_run: bool, **options):
        if frequency not in Frequency.values:
            raise CommandError(
                f"Unknown frequency “{frequency}”; use one of: {', '.join(Frequency.values)}."
            )
        start = time.monotonic()
        progress = tqdm(unit="subscriber", disable=options["verbosity"] == 0, file=self.stderr)
        if dry_run:
            now = timezone.now()
            chunks = digests.subscriber_chunks(frequency)
            progress.total = sum(map(len, chunks))
            would_send = 0
            for chunk in chunks:
                would_send += digests.count_digests(frequency, chunk, now)
                progress.update(len(chunk))
            progress.close()
            self.stdout.write(
                f"Dry run, {digests.period_key(frequency, now)}: {would_send} of "
                f"{progress.total} subscribers would get a digest; nothing was sent."
            )
            return
        run, chunks = digests.plan_run(frequency)
        progress.total = sum(map(len, chunks))
        retry_later = 0
        for chunk in chunks:
            try:
                digests.deliver_chunk(run.pk, chunk)
            except digests.TransientMailError as error:
                retry_later += 1
                progress.write(f"The mail relay refused a chunk for now ({error}).")
            progress.update(len(chunk))
        progress.close()
        run = DigestRun.objects.get(pk=run.pk)
        summary = (
            f"{run.period}: {run.subscribers} subscribers, {run.sent} sent, "
            f"{run.skipped} skipped (nothing new), {run.failed} failed, "
            f"in {time.monotonic() - start:.1f} s."
        )
        if retry_later:
            raise CommandError(
                f"{summary} {retry_later} chunk(s) could not be sent now; run the command "
                "again later to send the rest (nobody gets a digest twice)."
            )
        self.stdout.write(self.style.SUCCESS(summary))
