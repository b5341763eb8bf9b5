"""Citizen accounts: register, verify the e-mail address, reset the password, profile."""

from flask import Blueprint

blueprint = Blueprint("accounts", __name__)
