"""The HTTP interface: a JSON API for backend systems, provider webhooks, and the coordinator
dashboard. Everything goes through ``service.journeys.Journeys`` and ``service.inbound``."""
