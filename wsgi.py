"""The WSGI entry point: ``gunicorn wsgi:app`` (the index is opened lazily, after the fork)."""

from searchsvc import create_app

app = create_app()
