"""Issued documents: the `document.issue` handler, the PDF layout, signing and verification."""

from connectors.documents.body import BodyError, render_body
from connectors.documents.issue import (
    CODE_ALPHABET,
    DocumentIssuer,
    document_path,
    new_verification_code,
    verification_url,
)
from connectors.documents.pdf import (
    DocumentContent,
    DocumentTable,
    FeeLine,
    RenderedDocument,
    SignerInfo,
    render_document,
    render_pdf,
)
from connectors.documents.signing import (
    PadesSigner,
    SignatureStamp,
    Signer,
    SigningError,
    signing_setup,
    unsigned,
)

__all__ = [
    "CODE_ALPHABET",
    "BodyError",
    "DocumentContent",
    "DocumentIssuer",
    "DocumentTable",
    "FeeLine",
    "PadesSigner",
    "RenderedDocument",
    "SignatureStamp",
    "Signer",
    "SignerInfo",
    "SigningError",
    "document_path",
    "new_verification_code",
    "render_body",
    "render_document",
    "render_pdf",
    "signing_setup",
    "unsigned",
    "verification_url",
]
