"""The ledger's schema comes from Alembic migrations: they must build exactly the tables
messaging.ledger uses, upgrade a ledger made before migrations existed, and survive several
processes opening one database at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select

from messaging.ledger import DeliveryState, Ledger, deliveries, metadata
from messaging.ledger_schema import current, head, upgrade

ROOT = Path(__file__).resolve().parents[2]
KEY = "test-hash-key-0123456789"


def test_migrations_build_exactly_the_ledgers_tables(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"messaging.ledger and its migrations disagree (add a migration): {diff}"
    assert current(engine) == head()


def test_a_ledger_from_before_migrations_is_stamped_and_keeps_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    metadata.create_all(engine)  # how ledgers were made before migrations
    with engine.begin() as conn:
        conn.execute(deliveries.insert().values(key="k1", case_reference="WJ-1", recipient="guardian-1", channel="sms",
                                                provider="twilio", state="sent", provider_id="SM1", attempts=1,
                                                updated_at=__import__("datetime").datetime.now()))
    assert current(engine) is None
    ledger = Ledger(url, contact_hash_key=KEY)
    assert current(ledger.engine) == head()
    assert ledger.get("k1").state == DeliveryState.SENT
    ledger.close()


def test_several_processes_open_one_new_ledger_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    code = f"from messaging.ledger import Ledger; Ledger({url!r}, contact_hash_key={KEY!r}).begin('k', 'WJ-1', 'g', 'sms', 'twilio')"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(8)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    engine = create_engine(url)
    assert current(engine) == head()
    assert "deliveries" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(select(deliveries.c.key)).scalars().all() == ["k"]


def test_a_first_upgrade_cut_short_is_completed(tmp_path: Path) -> None:
    """SQLite runs DDL outside transactions: a process killed after creating the first table
    leaves it alone, with no version recorded. The next opening completes the schema."""
    url = f"sqlite:///{tmp_path / 'cut.sqlite'}"
    engine = create_engine(url)
    deliveries.create(engine)  # the first table of revision 0001, nothing else
    ledger = Ledger(url, contact_hash_key=KEY)
    assert {"deliveries", "contacts", "alembic_version"} <= set(inspect(ledger.engine).get_table_names())
    ledger.remember_contact("+77012345678", "WJ-1", "guardian-1", "sms")
    assert ledger.contacts_for("+77012345678") == [("WJ-1", "guardian-1", "sms")]
    ledger.close()
