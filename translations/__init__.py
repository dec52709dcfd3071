"""Words in every language: gettext catalogs (``locale/<lang>/LC_MESSAGES/<domain>.po``)."""
