"""The family page's tables (links, the documents' index and download audit) come from Alembic
migrations: they must build exactly the tables messaging.links and documents.index use, upgrade a
database their ``create_all`` made, and live in one database with the ledger (make cluster and
docker-compose share it) without either set touching the other's tables or version."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from documents.family_schema import FAMILY, tables
from documents.index import DocumentEntry, DocumentIndex
from documents.index import metadata as documents_metadata
from messaging.ledger import Ledger
from messaging.ledger import metadata as ledger_metadata
from messaging.ledger_schema import LEDGER
from messaging.links import LinkBook, links
from messaging.links import metadata as links_metadata
from service.migrations import Schema

ROOT = Path(__file__).resolve().parents[2]
KEY = "test-hash-key-0123456789"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def differences(engine: Engine, schema: Schema, own: MetaData) -> list:
    """What the database lacks or has extra for ``schema``, looking at its own tables only."""
    names = set(own.tables)
    opts = {"version_table": schema.version_table,
            "include_name": lambda name, kind, _parent: kind != "table" or name in names}
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), own)


def test_migrations_build_exactly_the_family_tables(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'family.sqlite'}")
    FAMILY.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"version_table": FAMILY.version_table}), tables())
    assert diff == [], f"messaging.links / documents.index and the family migrations disagree (add a migration): {diff}"
    assert FAMILY.current(engine) == FAMILY.head()
    assert set(inspect(engine).get_table_names()) == {"family_links", "documents", "document_downloads",
                                                      "family_alembic_version"}


def test_a_family_database_made_by_create_all_is_stamped_and_keeps_its_rows(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    links_metadata.create_all(engine)  # how the family tables were made before migrations
    documents_metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(links.insert().values(token_hash="a" * 64, case_reference="WJ-1", recipient="guardian-1",
                                           language="en", channel="sms", issued_at=NOW,
                                           expires_at=NOW + timedelta(days=30)))
    assert FAMILY.current(engine) is None
    book, index = LinkBook(engine), DocumentIndex(engine)
    assert FAMILY.current(engine) == FAMILY.head()
    assert differences(engine, FAMILY, tables()) == []
    assert book.channels_of("WJ-1", "guardian-1") == ["sms"]
    entry = DocumentEntry("d1", "WJ-1", "passport", "guardian-1", "pdf", 10, "k1", NOW)
    index.add([entry])
    assert index.get("d1") == entry


def test_ledger_and_family_migrations_share_one_database(tmp_path: Path) -> None:
    """As make cluster runs them: WAYPOINT_FAMILY_DB is the ledger's database."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    ledger = Ledger(url, contact_hash_key=KEY)
    FAMILY.upgrade(ledger.engine)
    LinkBook(ledger.engine).mint("WJ-1", "guardian-1", "en", "sms", NOW, timedelta(days=30))
    assert LEDGER.current(ledger.engine) == LEDGER.head() and FAMILY.current(ledger.engine) == FAMILY.head()
    assert differences(ledger.engine, LEDGER, ledger_metadata) == []
    assert differences(ledger.engine, FAMILY, tables()) == []
    with ledger.engine.connect() as conn:  # each set notes only its own revision, in its own table
        for schema in (LEDGER, FAMILY):
            assert conn.execute(text(f"SELECT version_num FROM {schema.version_table}")).scalars().all() == [schema.head()]
    assert ledger.claim_inbound("twilio-sms", "SM1")
    ledger.close()


def test_a_ledger_database_with_family_tables_from_create_all_upgrades_both(tmp_path: Path) -> None:
    """What a make cluster / docker-compose database held before: the ledger migrated, the family
    tables beside it made by create_all. Each upgrade leaves the other's tables alone."""
    url = f"sqlite:///{tmp_path / 'waypoint.sqlite'}"
    engine = create_engine(url)
    LEDGER.upgrade(engine)
    links_metadata.create_all(engine)
    documents_metadata.create_all(engine)
    FAMILY.upgrade(engine)
    assert FAMILY.current(engine) == FAMILY.head() and LEDGER.current(engine) == LEDGER.head()
    assert differences(engine, LEDGER, ledger_metadata) == []
    assert differences(engine, FAMILY, tables()) == []

    fresh = create_engine(f"sqlite:///{tmp_path / 'family-first.sqlite'}")  # and the other way round
    FAMILY.upgrade(fresh)
    LEDGER.upgrade(fresh)
    assert differences(fresh, LEDGER, ledger_metadata) == [] and differences(fresh, FAMILY, tables()) == []
    assert FAMILY.version_table != LEDGER.version_table and FAMILY.advisory_lock != LEDGER.advisory_lock


def test_several_processes_open_one_new_family_database_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'family.sqlite'}"
    code = ("from datetime import UTC, datetime, timedelta; from messaging.ledger import make_engine; "
            "from messaging.links import LinkBook; from documents.index import DocumentIndex; "
            f"e = make_engine({url!r}); DocumentIndex(e); "
            "LinkBook(e).mint('WJ-1', 'guardian-1', 'en', 'sms', datetime.now(UTC), timedelta(days=30))")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(6)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    engine = create_engine(url)
    assert FAMILY.current(engine) == FAMILY.head()
    with engine.connect() as conn:
        assert len(conn.execute(select(links.c.token_hash)).all()) == 6


def test_a_first_upgrade_cut_short_is_completed(tmp_path: Path) -> None:
    """SQLite runs DDL outside transactions: a process killed after creating the first table
    leaves it alone, with no version noted. The next opening completes the schema."""
    engine = create_engine(f"sqlite:///{tmp_path / 'cut.sqlite'}")
    links.create(engine)  # the first table of revision 0001, nothing else
    index = DocumentIndex(engine)
    assert FAMILY.current(engine) == FAMILY.head()
    assert differences(engine, FAMILY, tables()) == []
    index.record_download(DocumentEntry("d1", "WJ-1", "passport", "guardian-1", "pdf", 10, "k1", NOW), "coord-lin", NOW)
    assert [d.by for d in index.downloads_of("d1")] == ["coord-lin"]
