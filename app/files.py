"""Uploaded files and case documents, served only to the people allowed to see them."""

from flask import Blueprint

blueprint = Blueprint("files", __name__)
