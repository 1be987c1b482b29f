import re

import pytest
from django.contrib.auth.models import Group, User

from tests.factories import PlaceFactory


@pytest.fixture
def curator(client):
    """A signed-in member of the Curator group."""
    user = User.objects.create_user("curator", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Curator"))
    client.force_login(user)
    return user


@pytest.fixture
def boulder(states):
    """A Colorado city of 105,000 people."""
    return PlaceFactory(name="Boulder", population=105_000)


def emailed_path(message) -> str:
    """The path of the first link in a message's plain-text part (SITE_URL is the test server)."""
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/\S+)", text).group(1)
