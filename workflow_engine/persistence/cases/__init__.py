"""The case shell: the case service and its hot path, the outbox, and what staff and
applicants do around a case (inbox, casework, drafts, visibility, walkthroughs)."""
