"""Helpers the tests share: logging in and CSRF tokens (web), a loopback SMTP server (mail).

One version each; a test module imports them instead of writing its own."""
