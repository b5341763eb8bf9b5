"""Public verification of issued documents (the QR code's target)."""

from app.verify import views

blueprints = (views.blueprint,)
