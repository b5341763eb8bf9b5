"""Issued documents: the `document.issue` handler, the PDF layout and the signing seam."""

from connectors.documents.body import BodyError, render_body
from connectors.documents.issue import (
    CODE_ALPHABET,
    DocumentIssuer,
    document_path,
    new_verification_code,
    verification_url,
)
from connectors.documents.pdf import DocumentContent, FeeLine, SignerInfo, render_pdf
from connectors.documents.signing import Signer, unsigned

__all__ = [
    "CODE_ALPHABET",
    "BodyError",
    "DocumentContent",
    "DocumentIssuer",
    "FeeLine",
    "Signer",
    "SignerInfo",
    "document_path",
    "new_verification_code",
    "render_body",
    "render_pdf",
    "unsigned",
    "verification_url",
]
