"""The family page (see routes.py) and what it is built from."""

from __future__ import annotations

from dataclasses import dataclass

from documents.index import DocumentIndex
from documents.library import Documents, Limits
from documents.objects import ObjectStore, object_store
from documents.sealing import Sealer
from messaging.ledger import make_engine
from messaging.links import LinkBook
from service.config import ConfigurationError, FamilySettings


@dataclass(frozen=True)
class FamilyParts:
    settings: FamilySettings
    links: LinkBook
    documents: Documents


def family_parts(settings: FamilySettings, objects: ObjectStore | None = None) -> FamilyParts:
    """Opens the family database and the document store; raises ValueError (naming the variable,
    never a value) when the configuration is unusable."""
    if settings.document_keys is None:
        raise ConfigurationError("WAYPOINT_DOCUMENT_KEYS is required for the family page (documents are sealed at rest)")
    sealer = Sealer.from_spec(settings.document_keys.get_secret_value())
    engine = make_engine(settings.database_url.get_secret_value())
    store = objects or object_store(settings.document_store, settings.s3_endpoint)
    documents = Documents(store, sealer, DocumentIndex(engine),
                          Limits(max_bytes=settings.upload_max_bytes, max_files=settings.upload_max_files))
    return FamilyParts(settings, LinkBook(engine), documents)
