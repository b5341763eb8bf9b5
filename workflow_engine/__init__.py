"""Tramita's workflow engine: templates, the pure transition function, and its persistence shell.

Nothing in this package imports Flask, so the same code runs in a web request, a Celery task,
a CLI command and a test.
"""
