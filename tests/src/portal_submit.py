#!/usr/bin/python3
"""A classic "paste or upload your CSR" portal's submit script (CGI, run by Apache mod_cgid) for
certdesk's tests; see tests/src/portal.rs.

Takes the request as a urlencoded form field `csr`, a multipart file field `file` (or `csr`),
or the whole body (PEM or DER); signs it with `openssl ca` (the test kit's CA, CA_CONFIG in the
environment) and answers the certificate followed by the CA chain as PEM
(`Content-Type: application/x-pem-file`). Anything else gets what real portals send: 200 and an
HTML page titled "Request rejected".
"""

import email.parser
import fcntl
import html
import os
import subprocess
import sys
import tempfile
import urllib.parse

FIELDS = ("csr",)
FILE_FIELDS = ("file", "csr")


def reject(reason):
    page = ("<!DOCTYPE html>\n<html><head><title>Request rejected</title></head>\n"
            "<body><h1>Your certificate request was rejected</h1>\n<p>%s</p>\n"
            "<p><a href=\"/\">Back</a></p></body></html>\n" % html.escape(reason))
    out = sys.stdout.buffer
    out.write(b"Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n")
    out.write(page.encode())
    out.flush()
    sys.exit(0)


def read_body():
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    if length > 1024 * 1024:
        reject("the upload is too large")
    return sys.stdin.buffer.read(length)


def extract(content_type, body):
    """The CSR bytes from the POST, however they were packed."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        for name in FIELDS:
            if form.get(name):
                return form[name][0].encode()
        reject("the form has no field named csr (fields sent: %s)" % (", ".join(sorted(form)) or "none"))
    if kind == "multipart/form-data":
        message = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
        if not message.is_multipart():
            reject("the multipart upload could not be read")
        for part in message.get_payload():
            name = part.get_param("name", header="content-disposition")
            if name in FILE_FIELDS:
                return part.get_payload(decode=True) or b""
        reject("the upload has no file field named file")
    return body


def openssl(*args, stdin=None):
    proc = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"])
    return proc.stdout


def main():
    if os.environ.get("REQUEST_METHOD") != "POST":
        reject("send the request with the form")
    body = read_body()
    csr = extract(os.environ.get("CONTENT_TYPE", ""), body)
    # Only text is trimmed: a DER request may end in a byte that looks like whitespace (0x20,
    # 0x0a, ...), and trimming it would break the signature (a CI run lost a DER upload so).
    if csr.strip().startswith(b"-----BEGIN"):
        csr, form = csr.strip(), "PEM"
    else:
        form = "DER"
    if not csr.strip():
        reject("the request is empty")
    try:
        csr_pem = openssl("req", "-inform", form, "-verify", "-outform", "PEM", stdin=csr + (b"\n" if form == "PEM" else b""))
    except RuntimeError as e:
        reject("this is not a valid certificate request (%s)" % e)
    config = os.environ["CA_CONFIG"]
    with tempfile.TemporaryDirectory(prefix="portal-") as work:
        path_in = os.path.join(work, "in.csr")
        path_out = os.path.join(work, "out.pem")
        with open(path_in, "wb") as f:
            f.write(csr_pem)
        with open(os.path.join(os.path.dirname(config), "portal.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                openssl("ca", "-batch", "-notext", "-config", config, "-extensions", "client_cert",
                        "-in", path_in, "-out", path_out)
            except RuntimeError as e:
                reject("the CA refused the request (%s)" % e)
        with open(path_out, "rb") as f:
            cert = f.read()
    with open(os.environ["CA_CHAIN"], "rb") as f:
        chain = f.read()
    out = sys.stdout.buffer
    out.write(b"Content-Type: application/x-pem-file\r\n"
              b"Content-Disposition: attachment; filename=\"certificate.pem\"\r\n\r\n")
    out.write(cert + chain)
    out.flush()


if __name__ == "__main__":
    main()
