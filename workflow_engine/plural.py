"""A number with its noun in the right form («1 fila», «3 filas»; "1 row", "3 rows").

The engine writes its messages in Spanish and English itself (no gettext catalogue below the
web layer), so its plurals are chosen here, once, instead of «fila(s)»."""

from __future__ import annotations


def counted(n: int | object, one: str, many: str) -> str:
    """``n`` followed by ``one`` when it is 1, else by ``many``."""
    return f"{n} {one if n == 1 else many}"
