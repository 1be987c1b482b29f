"""Import listings from a CSV file (the same columns as the admin's bulk import)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from opportunities import importing
from opportunities.models import Status


class Command(BaseCommand):
    help = (
        "Import listings from a CSV file as drafts (or --publish). Every row is checked first; "
        "nothing is imported unless every row is valid. Columns: " + ", ".join(importing.COLUMNS)
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--publish", action="store_true", help="Publish at once.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and say what would happen; save nothing."
        )
        parser.add_argument(
            "--skip-duplicates", action="store_true", help="Leave out likely duplicates."
        )

    def handle(self, *args, csv_file: Path, publish: bool, dry_run: bool, skip_duplicates: bool,
               **options):  # fmt: skip
        try:
            data = csv_file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {csv_file}: {error.strerror}.") from error
        rows, problems = importing.read_csv(data)
        report = importing.ImportReport(problems=problems)
        if not problems:
            status = Status.PUBLISHED if publish else Status.DRAFT
            report = importing.import_rows(
                rows, status=status, dry_run=dry_run, skip_duplicates=skip_duplicates
            )
        for duplicate in report.duplicates:
            self.stdout.write(self.style.WARNING(f"Likely duplicate, {duplicate}"))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
