"""The coordinator dashboard: server-rendered pages (jinja2), sign-in, English and Chinese."""
