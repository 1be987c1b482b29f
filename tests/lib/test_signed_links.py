"""Signed links: one API and one error for every kind of link the portal emails."""

import time
from datetime import timedelta

import pytest
from django.core import signing

from lib.signed_links import BadLink, LinkKind

STATUS = LinkKind("tests.status", timedelta(days=90))
MANAGE = LinkKind("tests.manage", timedelta(days=3))


def test_a_link_gives_back_the_ids_it_was_made_for():
    assert STATUS.read(STATUS.sign(42)) == [42]
    assert STATUS.read(STATUS.sign(42, 7)) == [42, 7]


def test_a_link_of_one_kind_does_not_open_another():
    with pytest.raises(BadLink):
        MANAGE.read(STATUS.sign(42))


def test_an_altered_link_is_refused():
    token = STATUS.sign(42)
    with pytest.raises(BadLink):
        STATUS.read(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_a_link_older_than_its_lifetime_is_refused():
    old = signing.TimestampSigner(salt=MANAGE.salt)
    old.timestamp = lambda: signing.b62_encode(int(time.time()) - 4 * 24 * 3600)
    with pytest.raises(BadLink):
        MANAGE.read(old.sign_object([42], compress=False))


def test_links_mailed_with_a_bare_id_still_open():
    # Solutions and priorities links carried the ID alone before every kind carried a list.
    assert STATUS.read(signing.dumps(42, salt=STATUS.salt)) == [42]


@pytest.mark.parametrize("payload", [[], ["42"], [True], {"id": 42}, "42", None])
def test_a_signed_payload_that_is_not_ids_is_refused(payload):
    with pytest.raises(BadLink):
        STATUS.read(signing.dumps(payload, salt=STATUS.salt))
