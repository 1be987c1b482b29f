from django import template

from lib.outbox.models import OutgoingMail

register = template.Library()


@register.simple_tag
def stuck_mail_count() -> int:
    """Failed mail and mail waiting past its time (the admin index shows it to staff)."""
    return OutgoingMail.objects.stuck().count()
