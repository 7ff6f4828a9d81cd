#!/usr/bin/env python3
"""make_pdf.py: writes agreement.pdf, a two-page text PDF built by hand (no PDF library), with an
outline, for the sample library. Run: python3 make_pdf.py [OUT]"""
import sys

PAGES = [
    ["MASTER SERVICES AGREEMENT",
     "1. Term",
     "This Agreement starts on the Effective Date and continues for two years.",
     "2. Termination for Convenience",
     "Either party may terminate this Agreement for convenience with a notice period",
     "of thirty days, given in writing to the other party."],
    ["3. Fees",
     "The Customer pays the monthly fee within thirty days of each invoice.",
     "4. Confidentiality",
     "Each party keeps the other party's confidential information secret for five years",
     "after the end of this Agreement."],
]


def esc(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build():
    objs = []  # object bodies, numbered from 1
    def add(body):
        objs.append(body)
        return len(objs)
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objs) + 1 + 2 * len(PAGES) + 3  # reserved below
    page_ids = []
    for lines in PAGES:
        text = "BT /F1 11 Tf 72 740 Td 14 TL " + " ".join("(%s) '" % esc(l) for l in lines) + " ET"
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode()))
        page_ids.append(add(("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                             "/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                             % (pages_id, font, content)).encode()))
    outline_id = len(objs) + 1
    item1, item2 = outline_id + 1, outline_id + 2
    add(("<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count 2 >>" % (item1, item2)).encode())
    add(("<< /Title (Term and Termination) /Parent %d 0 R /Next %d 0 R /Dest [%d 0 R /Fit] >>"
         % (outline_id, item2, page_ids[0])).encode())
    add(("<< /Title (Fees and Confidentiality) /Parent %d 0 R /Prev %d 0 R /Dest [%d 0 R /Fit] >>"
         % (outline_id, item1, page_ids[1])).encode())
    assert len(objs) + 1 == pages_id
    add(("<< /Type /Pages /Kids [%s] /Count %d >>"
         % (" ".join("%d 0 R" % p for p in page_ids), len(page_ids))).encode())
    catalog = add(("<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R >>"
                   % (pages_id, outline_id)).encode())
    info = add(b"<< /Title (Master Services Agreement) /Author (folio sample) >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, catalog, info, xref))
    return bytes(out)


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else "agreement.pdf", "wb") as f:
        f.write(build())
