"""The seam where issued PDFs get their electronic signature.

`Signer` takes the rendered PDF and returns the bytes to store. Today the only signer is
`unsigned`, which returns the PDF unchanged: documents are issued with a verification code
and QR, but without a cryptographic signature. The pyHanko signer (PAdES with the
municipality's certificate) will plug in here; the stored sha256 is always computed on the
bytes this function returns, so verification keeps working when signing arrives.
"""

from __future__ import annotations

from collections.abc import Callable

Signer = Callable[[bytes], bytes]


def unsigned(pdf: bytes) -> bytes:
    """Identity: no signature yet (placeholder until the pyHanko signer exists)."""
    return pdf
