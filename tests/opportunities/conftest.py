import pytest

from tests.opportunities.mailserver import ControlledSMTP


@pytest.fixture
def controlled_smtp(settings):
    """A loopback SMTP server whose answers the test controls, as the portal's relay."""
    with ControlledSMTP() as server:
        settings.EMAIL_PORT = server.port
        yield server
