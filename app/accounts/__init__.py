"""Accounts: login and logout, registration and e-mail verification, password reset, the
profile page."""

from app.accounts import auth, registration

blueprints = (auth.blueprint, registration.blueprint)
