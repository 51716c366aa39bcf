"""Ticket documents: served to the ticket's person, an admin or a signed link, always scannable."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest

from adapters.persistence.pdf_cache import MemoryPdfCache
from application.errors import NotFound
from application.tickets.documents import TicketDocuments
from application.tickets.ports import TicketDocument
from application.tickets.tokens import TokenIssuer, token_hash
from domain.alert import Alert
from domain.period import Period
from domain.person import Person
from domain.shared import Cause
from domain.ticket import Ticket
from tests.support.fakes import (
    FakeSigner,
    Wired,
    paid,
    place,
    put_profile,
    schedule,
    wire,
)

pytestmark = pytest.mark.unit

ADMIN = Cause(actor="admin-1")


@dataclass
class RecordingRenderer:
    """TicketRenderer: remembers what it was asked to render."""

    rendered: list[TicketDocument] = field(default_factory=list)
    style: str = "plain"

    def render_pdf(self, document: TicketDocument) -> bytes:
        self.rendered.append(document)
        return b"%PDF-fake " + document.token.encode()


@dataclass
class Scenario:
    wired: Wired
    documents: TicketDocuments
    renderer: RecordingRenderer
    ticket_id: UUID


def issue_ticket(wired: Wired, user_id: str = "dancer-1") -> UUID:
    put_profile(wired, user_id, name="Åse Øvergård")
    order = place(wired, user_id, "bachata1", "salsa1")
    wired.services.stripe_events.handle(paid(order))
    return wired.services.tickets.for_user(user_id, "2026-fall").ticket.id


def documents_of(wired: Wired) -> tuple[TicketDocuments, RecordingRenderer]:
    renderer = RecordingRenderer()
    return TicketDocuments(wired.services.tickets, renderer, MemoryPdfCache()), renderer


@pytest.fixture
def scenario() -> Scenario:
    wired = wire()
    schedule(wired)
    ticket_id = issue_ticket(wired)
    documents, renderer = documents_of(wired)
    return Scenario(wired, documents, renderer, ticket_id)


def holders(documents: TicketDocuments, ticket_id: UUID) -> TicketDocument:
    """The document as its person is served it."""
    return documents.for_holder(ticket_id, user_id="dancer-1", is_admin=False)


def read(wired: Wired, ticket_id: UUID) -> tuple[Ticket, Person]:
    """The ticket and its person, as the email worker reads them before asking for a document."""
    ticket = wired.store.get(Ticket, ticket_id)
    return ticket, wired.store.get(Person, ticket.person_id)


def key_of(url: str) -> str:
    return url.rpartition("key=")[2]


def rotate(wired: Wired, ticket_id: UUID) -> None:
    """What an admin's rotation records: the next token version."""
    store = wired.store
    ticket = store.get(Ticket, ticket_id)
    TokenIssuer(wired.signer, wired.clock).issue(ticket, store.get(Period, ticket.period_id), ADMIN)
    store.save(ticket)


def test_the_owner_gets_everything_the_ticket_shows(scenario: Scenario) -> None:
    document = scenario.documents.for_holder(scenario.ticket_id, user_id="dancer-1", is_admin=False)
    served = scenario.wired.services.tickets.for_user("dancer-1", "2026-fall")

    assert document.ticket_id == scenario.ticket_id
    assert document.token == served.token  # the same token as the JSON ticket
    assert token_hash(document.token) == served.ticket.token.token_hash  # type: ignore[union-attr]
    assert document.token_version == 1
    assert document.person_name == "Åse Øvergård"
    assert (document.period_code, document.period_name) == ("2026-fall", "Fall 2026")
    assert (str(document.start_date), str(document.end_date)) == ("2026-09-01", "2026-12-15")
    assert (document.timezone, document.location) == ("Europe/Oslo", "Dansestudio, Oslo")
    assert document.tracks == ("Bachata 1", "Salsa 1")  # names, in the order registered
    base = "https://tickets.example"
    assert document.view_url.startswith(f"{base}/tickets/{scenario.ticket_id}?key=")
    assert document.pdf_url.startswith(f"{base}/api/tickets/download/{scenario.ticket_id}?key=")
    assert (served.view_url, served.pdf_url) == (document.view_url, document.pdf_url)


def test_an_admin_gets_anyones_ticket(scenario: Scenario) -> None:
    document = scenario.documents.for_holder(scenario.ticket_id, user_id="admin-1", is_admin=True)

    assert document.person_name == "Åse Øvergård"


def test_another_user_learns_nothing_not_even_that_it_exists(scenario: Scenario) -> None:
    with pytest.raises(NotFound) as other:
        scenario.documents.for_holder(scenario.ticket_id, user_id="dancer-2", is_admin=False)
    with pytest.raises(NotFound) as unknown:
        scenario.documents.for_holder(uuid4(), user_id="dancer-2", is_admin=False)

    assert other.value.code == unknown.value.code == "ticket_not_found"
    assert other.value.detail == unknown.value.detail


def test_a_revoked_ticket_is_served_to_nobody(scenario: Scenario) -> None:
    store = scenario.wired.store
    ticket = store.get(Ticket, scenario.ticket_id)
    key = key_of(holders(scenario.documents, scenario.ticket_id).view_url)
    ticket.revoke(reason="refunded", cause=ADMIN)
    store.save(ticket)

    for attempt in (
        lambda: scenario.documents.for_holder(
            scenario.ticket_id, user_id="dancer-1", is_admin=False
        ),
        lambda: scenario.documents.for_holder(scenario.ticket_id, user_id="admin-1", is_admin=True),
        lambda: scenario.documents.for_view_key(scenario.ticket_id, key),
    ):
        with pytest.raises(NotFound):
            attempt()


def test_the_signed_link_opens_the_ticket_without_a_user(scenario: Scenario) -> None:
    key = key_of(holders(scenario.documents, scenario.ticket_id).view_url)

    assert scenario.documents.for_view_key(scenario.ticket_id, key).person_name == "Åse Øvergård"


@pytest.mark.parametrize("key", ["", "wrong", "A" * 22])
def test_a_wrong_key_is_not_found(scenario: Scenario, key: str) -> None:
    with pytest.raises(NotFound) as error:
        scenario.documents.for_view_key(scenario.ticket_id, key)

    assert error.value.code == "ticket_not_found"


def test_a_key_opens_only_its_own_ticket(scenario: Scenario) -> None:
    other_ticket = issue_ticket(scenario.wired, "dancer-2")
    key = key_of(holders(scenario.documents, scenario.ticket_id).view_url)

    with pytest.raises(NotFound):
        scenario.documents.for_view_key(other_ticket, key)


def test_a_rotation_kills_the_old_link_and_the_new_one_works(scenario: Scenario) -> None:
    old_key = key_of(holders(scenario.documents, scenario.ticket_id).view_url)
    rotate(scenario.wired, scenario.ticket_id)

    with pytest.raises(NotFound):
        scenario.documents.for_view_key(scenario.ticket_id, old_key)
    new = holders(scenario.documents, scenario.ticket_id)
    assert new.token_version == 2
    assert scenario.documents.for_view_key(scenario.ticket_id, key_of(new.view_url)) == new


def test_the_pdf_is_rendered_from_the_document(scenario: Scenario) -> None:
    document = holders(scenario.documents, scenario.ticket_id)

    assert scenario.documents.rendered_pdf(document).data == b"%PDF-fake " + document.token.encode()
    assert scenario.renderer.rendered == [document]


# --- Point 5: a recorded hash that no longer matches is never served ------------------------


SERVINGS = {
    "json": lambda docs, wired, ticket_id, key: (
        wired.services.tickets.for_user("dancer-1", "2026-fall").token
    ),
    "pdf (holder)": lambda docs, wired, ticket_id, key: holders(docs, ticket_id).token,
    "web view (key)": lambda docs, wired, ticket_id, key: docs.for_view_key(ticket_id, key).token,
    "email (worker)": lambda docs, wired, ticket_id, key: (
        docs.for_ticket(*read(wired, ticket_id)).token
    ),
}


@pytest.mark.parametrize("route", SERVINGS)
def test_after_a_secret_change_every_form_rotates_alerts_and_serves_a_token_that_scans(
    scenario: Scenario, route: str
) -> None:
    key = key_of(holders(scenario.documents, scenario.ticket_id).view_url)
    new_signer = FakeSigner(key=b"the-new-signing-key", clock=scenario.wired.clock)
    restarted = wire(store=scenario.wired.store, signer=new_signer, clock=scenario.wired.clock)
    documents, _ = documents_of(restarted)

    token = SERVINGS[route](documents, restarted, scenario.ticket_id, key)

    claims = new_signer.verify(token)  # it scans with the keys now in use
    assert claims.version == 2
    ticket = restarted.store.get(Ticket, scenario.ticket_id)
    assert ticket.token is not None and ticket.token.token_hash == token_hash(token)
    assert restarted.sink.kinds == ["token_mismatch"]
    # Served again: the same rotated token, no second rotation or alert.
    again = documents.for_holder(scenario.ticket_id, user_id="dancer-1", is_admin=False)
    assert again.token == token and again.token_version == 2
    assert restarted.sink.kinds == ["token_mismatch"]
    alerts = [n for n in restarted.store.notifications() if n.topic == Alert.Raised.TOPIC]
    assert len(alerts) == 1


def test_a_rotated_document_carries_the_new_version_and_links(scenario: Scenario) -> None:
    new_signer = FakeSigner(key=b"the-new-signing-key", clock=scenario.wired.clock)
    restarted = wire(store=scenario.wired.store, signer=new_signer, clock=scenario.wired.clock)
    documents, _ = documents_of(restarted)

    document = holders(documents, scenario.ticket_id)

    # Not the version the ticket had when it was loaded: the one whose token is served.
    assert document.token_version == new_signer.verify(document.token).version == 2
    assert documents.for_view_key(scenario.ticket_id, key_of(document.view_url)) == document


def test_a_pdf_is_rendered_once_and_then_served_from_the_cache(scenario: Scenario) -> None:
    documents, renderer = scenario.documents, scenario.renderer
    document = holders(documents, scenario.ticket_id)

    first = documents.rendered_pdf(document)
    again = documents.rendered_pdf(holders(documents, scenario.ticket_id))

    assert len(renderer.rendered) == 1
    assert again == first


def test_a_new_token_version_or_another_style_renders_again(scenario: Scenario) -> None:
    documents, renderer = scenario.documents, scenario.renderer
    before = documents.rendered_pdf(holders(documents, scenario.ticket_id))
    rotate(scenario.wired, scenario.ticket_id)

    rotated = documents.rendered_pdf(holders(documents, scenario.ticket_id))
    renderer.style = "rebranded"
    rebranded = documents.rendered_pdf(holders(documents, scenario.ticket_id))

    assert len(renderer.rendered) == 3
    assert len({before.digest, rotated.digest, rebranded.digest}) == 3
    assert rotated.data != before.data


class CountedCache(MemoryPdfCache):
    """The shared cache, counting its reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def get(self, key: str) -> bytes | None:
        self.reads.append(key)
        return super().get(key)


def test_a_pdf_served_again_in_the_same_process_reads_no_cache_row(scenario: Scenario) -> None:
    renderer, cache = RecordingRenderer(), CountedCache()
    documents = TicketDocuments(scenario.wired.services.tickets, renderer, cache)
    first = documents.rendered_pdf(holders(documents, scenario.ticket_id))

    again = documents.rendered_pdf(holders(documents, scenario.ticket_id))
    rotate(scenario.wired, scenario.ticket_id)
    rotated = documents.rendered_pdf(holders(documents, scenario.ticket_id))

    assert again == first and len(renderer.rendered) == 2
    assert cache.reads == [first.digest, rotated.digest]  # each key looked up once: its miss
