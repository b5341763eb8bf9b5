"""The officials' side: the inbox (/bandeja) and the case review page with its actions."""

from flask import Blueprint

blueprint = Blueprint("inbox", __name__)

from app.staff import exports, listing, review  # noqa: E402,F401  (routes register on import)

blueprints = (blueprint, exports.blueprint)
