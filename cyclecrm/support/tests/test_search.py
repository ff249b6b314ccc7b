"""Knowledge-base search through core.db.fulltext_search, on whichever engine runs the tests."""

from django.db import connection

from cyclecrm.core.db import is_postgresql
from cyclecrm.support import selectors
from cyclecrm.support.services import article_create
from cyclecrm.support.tests.factories import make_article


def test_every_word_must_match_and_titles_rank_first(support_agent) -> None:
    in_body = make_article(
        support_agent, title="Account basics", search_text="how to reset a password"
    )
    in_title = make_article(support_agent, title="Password reset", search_text="open settings")
    make_article(support_agent, title="Invoices", search_text="password protected PDFs")
    found = selectors.article_search(actor=support_agent, query="password reset")
    assert [a.pk for a in found] == [in_title.pk, in_body.pk]
    assert selectors.article_search(actor=support_agent, query="   ") == []


def test_search_sees_the_plain_text_of_the_body_only(support_agent) -> None:
    article = article_create(
        actor=support_agent,
        data={
            "title": "Links",
            "body": '<p>Visit <a href="https://example.com/strong">site</a></p>',
        },
    )
    assert article.search_text == "Visit site"
    assert selectors.article_search(actor=support_agent, query="strong") == []
    assert selectors.article_search(actor=support_agent, query="visit") == [article]


def test_public_search_shows_published_articles_only(support_agent) -> None:
    make_article(support_agent, title="Draft about printers", status="draft")
    published = make_article(support_agent, title="Printers")
    assert selectors.article_search(actor=None, query="printers") == [published]


def test_postgresql_has_the_fulltext_index(db) -> None:
    if not is_postgresql():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'support_article_fts_idx'"
        )
        row = cursor.fetchone()
    assert row is not None and "to_tsvector" in row[0]
