"""The form step's page: its questions from the palette of field types, their options, repeating
groups and show-if conditions."""
