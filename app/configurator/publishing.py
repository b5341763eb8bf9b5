"""Publishing: the readiness checklist, the diff against the live version, publish with a
note, version history, compare, roll back; the optional four-eyes rule."""
