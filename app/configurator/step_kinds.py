"""The pages of the other step types: approval, parallel approval, payment, document, notify,
connector and end."""
