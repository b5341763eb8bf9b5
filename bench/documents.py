"""Document benchmark: render + PAdES-sign the licence document, in one process.

    .venv/bin/python bench/documents.py --json
    .venv/bin/python bench/documents.py --docs 300 --json

Ours: the `document.issue` path without the database: the licence template's text, table
and conditional paragraph rendered in the Jinja sandbox from the example's data
(`DocumentIssuer.content`), laid out with ReportLab (`render_document`), then signed by
`PadesSigner` (PAdES, SHA-256, visible stamp, last signature covering the whole file) with
the credentials loaded once.

Naive, in the same run and alternating document by document (both see the same machine
load): `render_pdf` of the same content, then `pyhanko.sign.signers.sign_pdf` on the result
with a `SimpleSigner` loaded once from the same PKCS#12, the same PAdES settings and the
same visible field. `ratio_vs_naive` = naive p50 / our p50 (how many times faster).

Both outputs are checked with pyHanko's validator at the end (`signature_ok`), so the speed
does not come from a weaker signature. The key is the DEMO RSA-2048 one, created in a
temporary directory.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from connectors.common import CaseRecord  # noqa: E402
from connectors.documents.demo_ca import create_demo_credentials  # noqa: E402
from connectors.documents.issue import DocumentIssuer, new_verification_code  # noqa: E402
from connectors.documents.pdf import render_document, render_pdf  # noqa: E402
from connectors.documents.signing import (  # noqa: E402
    Credentials,
    PadesSigner,
    outside_event_loop,
)
from connectors.documents.verification import validate_signatures  # noqa: E402
from connectors.settings import ConnectorSettings  # noqa: E402

EXAMPLE = ROOT / "form_schemas" / "examples" / "licencia-funcionamiento.json"


def licence_case() -> tuple[CaseRecord, dict[str, Any]]:
    definition = json.loads(EXAMPLE.read_text())
    data = {k: v for step in definition["example_data"].values() for k, v in step.items()}
    payments = [
        {
            "reference": "CHO140412992399",
            "currency": "MXN",
            "total_cents": 626246,
            "paid_at": "2026-03-06T17:00:00+00:00",
            "lines": [
                {"id": "giro", "label": {"es": "Derecho por giro"}, "amount_cents": 185000},
                {"id": "sup", "label": {"es": "Derecho por superficie"}, "amount_cents": 101826},
                {"id": "alc", "label": {"es": "Venta de alcohol"}, "amount_cents": 339420},
            ],
        }
    ]
    case = CaseRecord(
        id=1,
        folio="CHO-2026-7K4M9P",
        procedure_key=definition["key"],
        applicant_id="1",
        state={"data": data, "payments": payments, "submitted_at": "2026-03-05T16:00:00+00:00"},
        definition=definition,
        submitted_at=datetime(2026, 3, 5, 16, tzinfo=UTC),
    )
    step = next(s for s in definition["steps"] if s["type"] == "document")
    return case, step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200, help="documents per pipeline")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tramita-bench-docs-") as tmp_name:
        return run(args, Path(tmp_name))


def run(args: argparse.Namespace, tmp: Path) -> int:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    p12, password = create_demo_credentials(tmp / "signing", "Municipio de Chocotlán")
    settings = ConnectorSettings(documents_dir=str(tmp / "documents"), instance_dir=str(tmp))
    credentials = Credentials.from_pkcs12(p12, password)
    ours_signer = PadesSigner(credentials, location=settings.municipality_name)
    naive_signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=password.encode())
    issuer = DocumentIssuer(None, settings, sign=ours_signer)  # type: ignore[arg-type]
    case, step = licence_case()
    issued_on = date(2026, 3, 7)
    expires_on = issued_on + timedelta(days=365)

    def content() -> Any:
        return issuer.content(
            case,
            step,
            step["document"],
            new_verification_code(),
            issued_on,
            expires_on,
            "Desarrollo Económico",
        )

    def ours() -> tuple[float, float, bytes]:
        t0 = time.perf_counter()
        rendered = render_document(content())
        t1 = time.perf_counter()
        pdf = ours_signer(rendered.pdf, rendered.stamps)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, pdf

    # The naive pipeline puts its visible stamp where ours goes (the layout is the same for
    # every document of this benchmark, so the box is computed once, untimed).
    stamp = render_document(content()).stamps[0]

    def naive() -> tuple[float, float, bytes]:
        t0 = time.perf_counter()
        pdf = render_pdf(content())
        t1 = time.perf_counter()
        out = io.BytesIO()
        outside_event_loop(
            lambda: signers.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)),
                signers.PdfSignatureMetadata(
                    field_name=stamp.field_name,
                    md_algorithm="sha256",
                    subfilter=fields.SigSeedSubFilter.PADES,
                ),
                signer=naive_signer,
                new_field_spec=fields.SigFieldSpec(
                    stamp.field_name, on_page=stamp.page, box=stamp.box
                ),
                output=out,
            )
        )
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, out.getvalue()

    for _ in range(args.warmup):
        ours()
        naive()
    ours_ms: list[float] = []
    render_ms: list[float] = []
    sign_ms: list[float] = []
    naive_ms: list[float] = []
    naive_sign_ms: list[float] = []
    last_ours = last_naive = b""
    started = time.perf_counter()
    ours_total = 0.0
    for _ in range(args.docs):
        r, s, last_ours = ours()
        ours_total += r + s
        ours_ms.append((r + s) * 1000)
        render_ms.append(r * 1000)
        sign_ms.append(s * 1000)
        r, s, last_naive = naive()
        naive_ms.append((r + s) * 1000)
        naive_sign_ms.append(s * 1000)
    wall = time.perf_counter() - started

    roots = credentials.trust_roots
    checks = validate_signatures(last_ours, roots) + validate_signatures(last_naive, roots)
    p50 = percentile(ours_ms, 50) or 0.0
    naive_p50 = percentile(naive_ms, 50) or 0.0
    result = {
        "benchmark": "documents",
        "documents": args.docs,
        "docs_per_s": round(args.docs / ours_total, 1),
        "p50_ms": round(p50, 2),
        "p99_ms": round(percentile(ours_ms, 99) or 0.0, 2),
        "render_p50_ms": round(percentile(render_ms, 50) or 0.0, 2),
        "sign_p50_ms": round(percentile(sign_ms, 50) or 0.0, 2),
        "naive_p50_ms": round(naive_p50, 2),
        "naive_p99_ms": round(percentile(naive_ms, 99) or 0.0, 2),
        "naive_sign_p50_ms": round(percentile(naive_sign_ms, 50) or 0.0, 2),
        "ratio_vs_naive": round(naive_p50 / p50, 2) if p50 else None,
        "signature_ok": all(c.ok and c.whole_file for c in checks) and len(checks) == 2,
        "pdf_bytes": len(last_ours),
        "wall_s": round(wall, 1),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["signature_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
