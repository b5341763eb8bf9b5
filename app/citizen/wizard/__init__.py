"""The citizen's wizard: one form step per page, check answers, submit, follow the case."""

from flask import Blueprint

blueprint = Blueprint("wizard", __name__)

from app.citizen.wizard import views  # noqa: E402  (routes register on the blueprint)

__all__ = ["blueprint", "views"]
