"""The citizen's wizard: one form step per page, check answers, submit, follow the case."""

from flask import Blueprint

blueprint = Blueprint("wizard", __name__)
