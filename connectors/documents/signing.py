"""PAdES signatures on issued documents, with the municipality's certificate (pyHanko).

`Signer` takes the rendered PDF and the visible stamps to place, and returns the bytes to
store; the stored sha256 is always computed on what it returns. `unsigned` is the identity
(tests that do not care about signatures). `PadesSigner` is the real one: it loads the
PKCS#12 once and keeps the pyHanko signer object, so signing a document costs one RSA
operation and an incremental update written to memory, not a key-file decryption.

Sequential signers (director, then mayor) are sequential incremental signatures: each one
covers everything before it, and the last covers the whole file.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from connectors.documents.typeface import FONTS_DIR, font_path_covering
from connectors.settings import ConnectorSettings
from workflow_engine.persistence.cases.outbox_errors import PermanentEffectError

log = logging.getLogger(__name__)
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" per stamp
T = TypeVar("T")

STAMP_TEXT = "%(heading)s\n%(signer)s\n%(position)s\n%(ts)s"
STAMP_TIME_FORMAT = "%d/%m/%Y %H:%M:%S %Z"  # in the municipality's time zone
STAMP_WIDTH = 7.0 * 28.3465  # 7 cm in points
STAMP_HEIGHT = 2.4 * 28.3465  # five lines: who, on whose certificate, cargo, time


def outside_event_loop(fn: Callable[[], T]) -> T:
    """Run pyHanko's synchronous API, which calls `asyncio.run()`: directly, or on a helper
    thread when this thread already runs an event loop (Playwright, an async worker)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tramita-sign") as pool:
        return pool.submit(fn).result()


class SigningError(PermanentEffectError, RuntimeError):
    """The signing certificate cannot be loaded or used: configuration, not bad luck, so
    the effect is dead-lettered at once (retried from /admin/outbox once it is fixed)."""


@dataclass(frozen=True)
class SignatureStamp:
    """Where one signer's visible stamp goes, and what it says."""

    field_name: str
    signer_name: str
    position: str
    page: int = 0  # 0-based
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x1, y1, x2, y2 in points


class Signer(Protocol):
    def __call__(self, pdf: bytes, stamps: Sequence[SignatureStamp] = ()) -> bytes: ...


def unsigned(pdf: bytes, stamps: Sequence[SignatureStamp] = ()) -> bytes:
    """Identity: no signature (tests of layout and storage)."""
    return pdf


class PreloadedSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key for every signature (about 35 ms for
    RSA-2048, twice per document counting the size estimate); this one parses it once."""

    _private_key: Any = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism.signature_algo
        if self._private_key is None:
            self._private_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        key = self._private_key
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return bytes(key.sign(data, padding.PKCS1v15(), hash_algo))
        if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return bytes(key.sign(data, ec.ECDSA(hash_algo)))
        return bytes(super().sign_raw(data, digest_algorithm))


@dataclass
class Credentials:
    """A certificate and its key, loaded once per process."""

    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    chain: list[asn1_x509.Certificate] = field(default_factory=list)

    @property
    def subject_name(self) -> str:
        return str(self.certificate.subject.native.get("common_name") or "")

    @property
    def holder_name(self) -> str:
        """Who the certificate belongs to: the organisation for an institutional seal (a
        certificate whose subject names an organisation), else its common name."""
        subject = self.certificate.subject.native
        return str(subject.get("organization_name") or subject.get("common_name") or "")

    def stamp_heading(self, signer_name: str) -> str:
        """The stamp's first lines: who signs, on whose certificate. A person signing with
        their own certificate signs; an official signing with the institution's seal signs
        on the institution's behalf, and the stamp names it."""
        if not signer_name or signer_name == self.subject_name:
            return "Firmado electrónicamente por"
        return f"Sello electrónico de {self.holder_name}\nfirmado en su nombre por"

    @property
    def trust_roots(self) -> list[asn1_x509.Certificate]:
        """The self-signed certificates of the chain: the municipality's trust root."""
        return [c for c in self.chain if c.self_signed] or list(self.chain[-1:])

    @classmethod
    def from_pkcs12(cls, path: str | Path, password: str | None) -> Credentials:
        data = Path(path).read_bytes()
        passphrase = password.encode() if password else None
        try:
            _key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
        except Exception as exc:  # cryptography raises ValueError or TypeError
            raise SigningError(f"cannot read the PKCS#12 file {path}: {exc}") from None
        if cert is None:
            raise SigningError(f"the PKCS#12 file {path} holds no certificate")
        loaded = signers.SimpleSigner.load_pkcs12_data(data, (), passphrase=passphrase)
        signer = PreloadedSigner(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
        )
        chain = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in extra or ()]
        return cls(signer=signer, certificate=signer.signing_cert, chain=chain)


class PdfUnitsGlyphs(GlyphAccumulator):
    """pyHanko's OpenType font, counting in thousandths of an em as PDF does.

    pyHanko writes a TrueType font's widths (/W) and its TJ adjustments in the font's own
    units, which PDF reads as thousandths of an em: in DejaVu Sans (2048 units to the em)
    every letter took twice its room and the stamp's lines ran out of the box. Here harfbuzz
    shapes at 1000 units to the em and the widths are scaled to match."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._to_pdf_units = 1000 / self.units_per_em
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        if glyph_id not in self._glyphs:
            cid, width = super()._get_cid_and_width(glyph_id)
            self._glyphs[glyph_id] = (cid, round(width * self._to_pdf_units))
        return self._glyphs[glyph_id]


class _InMemoryFont(GlyphAccumulatorFactory):
    """pyHanko's OpenType font, read from memory: its own factory opens the file for every
    signature and never closes it."""

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return PdfUnitsGlyphs(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes(self.font_file)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


@lru_cache(maxsize=2)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@dataclass(frozen=True)
class LocalTimeStampStyle(TextStampStyle):
    """pyHanko writes the signing time in the server's zone; the stamp shows it in the
    municipality's (`tz`), as everything else a citizen reads."""

    tz: str = "America/Mexico_City"

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> Any:
        signed_at = datetime.strptime(str(text_params["ts"]), _PYHANKO_TIME_FORMAT)
        local = signed_at.astimezone(ZoneInfo(self.tz)).strftime(STAMP_TIME_FORMAT)
        return super().create_stamp(writer, box, {**text_params, "ts": local})


_PYHANKO_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # what pyHanko hands the style (then made local)


def _stamp_style(font: Any, tz: str) -> TextStampStyle:
    """The visible stamp: pyHanko's built-in font when `font` is None."""
    box = TextBoxStyle(font_size=7, leading=9)
    if font is not None:
        box = TextBoxStyle(font=font, font_size=7, leading=9)
    return LocalTimeStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=box,
        border_width=1,
        timestamp_format=_PYHANKO_TIME_FORMAT,
        tz=tz,
    )


def _latin1(*texts: str) -> bool:
    try:
        "".join(texts).encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class PadesSigner:
    """PAdES-B (B-T with a TSA) signatures, SHA-256, one incremental update per signer."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        tsa_url: str | None = None,
        location: str = "",
        reason: str = "Documento oficial emitido electrónicamente",
        timezone: str = "America/Mexico_City",
    ) -> None:
        self.credentials = credentials
        self.timestamper = HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None
        self.location = location
        self.reason = reason
        # Room for the CMS container, fixed per process: pyHanko would otherwise estimate it
        # with a dry-run signature (and a dummy TSA request) for every document.
        certs = [credentials.certificate, *credentials.signer.cert_registry]
        self.bytes_reserved = sum(len(c.dump()) for c in certs) + 4096
        if self.timestamper is not None:
            self.bytes_reserved += 16384
        self.bytes_reserved += self.bytes_reserved % 2  # pyHanko wants an even size
        # pyHanko's built-in Courier writes Latin-1 only; a stamp with any other letter
        # («Ǆ», Greek, Cyrillic) is set in DejaVu Sans, and one with Chinese, Japanese or
        # Korean in the CJK fallback (it has Latin-1 too): pyHanko sets a stamp in one font,
        # embedded as a subset. That costs about 0.2 s a signature (fontTools), so Latin-1
        # stamps keep the fast built-in font.
        self.timezone = timezone
        self.style = _stamp_style(None, timezone)
        self.unicode_styles: dict[Path, TextStampStyle] = {}

    def __call__(self, pdf: bytes, stamps: Sequence[SignatureStamp] = ()) -> bytes:
        if not stamps:
            stamps = (SignatureStamp("Firma", self.credentials.subject_name, ""),)
        for stamp in stamps:
            pdf = self._sign_once(pdf, stamp)
        return pdf

    def _style_for(self, *texts: str) -> TextStampStyle:
        """The stamp's style: the built-in font for Latin-1, else the first of the document
        fonts that has every letter (DejaVu for a stamp where none has them all: emoji)."""
        if _latin1(*texts):
            return self.style
        font = font_path_covering("".join(texts)) or FONTS_DIR / "DejaVuSans.ttf"
        if font not in self.unicode_styles:
            self.unicode_styles[font] = _stamp_style(_InMemoryFont(str(font)), self.timezone)
        return self.unicode_styles[font]

    def _sign_once(self, pdf: bytes, stamp: SignatureStamp) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        visible = stamp.box != (0, 0, 0, 0)
        signer_name = stamp.signer_name or self.credentials.subject_name
        heading = self.credentials.stamp_heading(signer_name)
        meta = signers.PdfSignatureMetadata(
            field_name=stamp.field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=self.reason,
            location=self.location or None,
            name=stamp.signer_name or None,
            use_pades_lta=False,
        )
        spec = fields.SigFieldSpec(
            sig_field_name=stamp.field_name,
            on_page=stamp.page,
            box=stamp.box if visible else None,
        )
        pdf_signer = PdfSigner(
            meta,
            signer=self.credentials.signer,
            timestamper=self.timestamper,
            stamp_style=self._style_for(heading, signer_name, stamp.position),
            new_field_spec=spec,
        )
        out = io.BytesIO()
        outside_event_loop(
            lambda: pdf_signer.sign_pdf(
                writer,
                output=out,
                bytes_reserved=self.bytes_reserved,
                appearance_text_params={
                    "heading": heading,
                    "signer": signer_name,
                    "position": stamp.position,
                },
            )
        )
        return out.getvalue()


@dataclass
class SigningSetup:
    """The process's signer and the roots its signatures are checked against."""

    signer: PadesSigner
    credentials: Credentials
    trust_roots: list[asn1_x509.Certificate]
    demo: bool


_SETUPS: dict[tuple[object, ...], SigningSetup] = {}
_SETUPS_LOCK = threading.Lock()


def _load_pem_certs(path: str) -> list[asn1_x509.Certificate]:
    from pyhanko.keys import load_certs_from_pemder

    try:
        # pyHanko leaves this helper unannotated; it yields asn1crypto certificates.
        return list(load_certs_from_pemder([path]))  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read trust roots from {path}: {exc}") from None


def signing_setup(settings: ConnectorSettings) -> SigningSetup:
    """The signer for these settings, loaded once per process (thread-safe).

    With `signing_p12_path` unset, the DEMO credentials of the instance directory are used
    (created on first call) if `signing_demo_allowed`; otherwise SigningError.
    """
    instance = settings.instance_dir or str(Path(settings.documents_dir).parent)
    key = (
        settings.signing_p12_path,
        settings.signing_p12_password,
        settings.signing_tsa_url,
        settings.signing_trust_roots,
        instance,
        settings.municipality_name,
        settings.signing_demo_allowed,
        settings.timezone,
    )
    with _SETUPS_LOCK:
        setup = _SETUPS.get(key)
        if setup is not None:
            return setup
        demo = not settings.signing_p12_path
        if demo and not settings.signing_demo_allowed:
            raise SigningError(
                "no signing certificate: set SIGNING_P12_PATH and SIGNING_P12_PASSWORD "
                "(the DEMO certificate is only used with DEMO_MODE=1)"
            )
        password: str | None
        if demo:
            from connectors.documents.demo_ca import ensure_demo_credentials

            path, password = ensure_demo_credentials(instance, settings.municipality_name)
            log.warning("signing with DEMO credentials from %s (set SIGNING_P12_PATH)", path)
        else:
            path, password = Path(str(settings.signing_p12_path)), settings.signing_p12_password
        credentials = Credentials.from_pkcs12(path, password)
        roots = list(credentials.trust_roots)
        if settings.signing_trust_roots:
            roots += _load_pem_certs(settings.signing_trust_roots)
        signer = PadesSigner(
            credentials,
            tsa_url=settings.signing_tsa_url,
            location=settings.municipality_name,
            timezone=settings.timezone,
        )
        setup = SigningSetup(signer, credentials, roots, demo)
        _SETUPS[key] = setup
        return setup


def settings_signer(settings: ConnectorSettings) -> Signer:
    """A Signer that loads the credentials on first use (so importing costs nothing)."""

    def sign(pdf: bytes, stamps: Sequence[SignatureStamp] = ()) -> bytes:
        return signing_setup(settings).signer(pdf, stamps)

    return sign
