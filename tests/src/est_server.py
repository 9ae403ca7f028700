#!/usr/bin/env python3
"""An EST server (RFC 7030) for certdesk's tests: Python 3 stdlib HTTPS, certificates from
`openssl ca`, PKCS#7 from `openssl crl2pkcs7`. Started by tests/src/est.rs (EstServer).

The EST label chooses how the server behaves, so one server covers every case:
/.well-known/est/<case>/{cacerts,csrattrs,simpleenroll,simplereenroll}

  ok        simpleenroll needs HTTP Basic user + code (401 + WWW-Authenticate otherwise)
  pending   first simpleenroll of a CSR: 202 + Retry-After: 1; the next one: the certificate
  forbidden simpleenroll: 403 with a text body
  notfound  404 everywhere, cacerts included
  error500  simpleenroll: 500 "database locked"
  html      simpleenroll: 200 with an HTML login page titled "Sign in"
  empty     simpleenroll: 200 with an empty body
  badp7     simpleenroll: 200 with base64 of bytes that are not PKCS#7
  otherkey  simpleenroll: 200 with a certificate for a key the server generated itself
  hang      simpleenroll: sleeps 60 s before answering
  trickle   simpleenroll: 200 and its headers at once, then the body one byte every 0.5 s
            (60 bytes, 30 s): every single read is quick, the whole answer is not
  redirect  every operation: 302 to http://127.0.0.1:PORT/... (plain http)
  elsewhere every operation: 302 to https://localhost:PORT/.well-known/est/ok/... (another
            host name of this same server, whose certificate is valid for it too)
  huge      simpleenroll: 200 with a 6 MB body
  reenroll  simpleenroll as `ok`; simplereenroll needs a TLS client certificate from the CA
            and a CSR with the same subject as that certificate
  wantp384  simpleenroll as `ok`; csrattrs asks for an ECDSA P-384 key:
            SEQUENCE { SEQUENCE { id-ecPublicKey, SET { secp384r1 } }, ecdsa-with-SHA384 }
  wantrsa384 simpleenroll as `ok`; csrattrs asks for an RSA signature with SHA-384:
            SEQUENCE { sha384WithRSAEncryption }
  wantext   simpleenroll as `ok`; csrattrs names extensions in an extensionRequest (the form of
            RFC 7030 section 4.5.2's example): SEQUENCE { SEQUENCE { extensionRequest,
            SET { keyUsage, extKeyUsage, subjectAltName } } }
  wanttemplate simpleenroll as `ok`; csrattrs in RFC 9908's template form, with a wish that
            cannot be met: SEQUENCE { challengePassword, SEQUENCE { extensionRequest, SET {
            SEQUENCE { Extension { keyUsage, critical, BIT STRING digitalSignature },
            Extension { extKeyUsage, SEQUENCE { clientAuth } } } } }, sha512WithRSAEncryption }

Every CSR that simpleenroll or simplereenroll receives (and `openssl req -verify` accepts) is
saved as PEM in the work directory: `received-<label>-<n>.csr` (n counts from 1 per label), so
a test can check exactly what the client sent.

It prints `LISTENING <port>` on stdout once it accepts connections. Secrets (the enrollment
code) come from a file; requests are logged without headers.
"""

import argparse
import base64
import hashlib
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/.well-known/est/"
OPERATIONS = ("cacerts", "csrattrs", "simpleenroll", "simplereenroll")
P7_TYPE = "application/pkcs7-mime; smime-type=certs-only"
# CsrAttrs: SEQUENCE { OID ecdsa-with-SHA256 } (RFC 7030 section 4.5.2).
CSR_ATTRS_DER = bytes.fromhex("300a06082a8648ce3d040302")


def der(tag, content):
    """One DER TLV (definite length)."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def oid(dotted):
    """DER OBJECT IDENTIFIER from dotted text (X.690 section 8.19)."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return der(0x06, bytes(body))


def seq(*parts):
    return der(0x30, b"".join(parts))


def set_of(*parts):
    return der(0x31, b"".join(sorted(parts)))


EXTENSION_REQUEST = "1.2.840.113549.1.9.14"
# What each "want…" label's csrattrs answers (see the docstring).
WANTS = {
    "wantp384": seq(seq(oid("1.2.840.10045.2.1"), set_of(oid("1.3.132.0.34"))),
                    oid("1.2.840.10045.4.3.3")),
    "wantrsa384": seq(oid("1.2.840.113549.1.1.12")),
    "wantext": seq(seq(oid(EXTENSION_REQUEST),
                       set_of(oid("2.5.29.15"), oid("2.5.29.37"), oid("2.5.29.17")))),
    "wanttemplate": seq(
        oid("1.2.840.113549.1.9.7"),
        seq(oid(EXTENSION_REQUEST),
            set_of(seq(
                seq(oid("2.5.29.15"), der(0x01, b"\xff"), der(0x04, der(0x03, b"\x07\x80"))),
                seq(oid("2.5.29.37"), der(0x04, seq(oid("1.3.6.1.5.5.7.3.2"))))))),
        oid("1.2.840.113549.1.1.13")),
}


def wrap64(data):
    """Base64 wrapped at 64 columns, ending in a newline (as libest and RFC 7030 servers send)."""
    text = base64.b64encode(data).decode("ascii")
    return "".join(text[i:i + 64] + "\n" for i in range(0, len(text), 64)).encode("ascii")


class Ca:
    """Signs with `openssl ca` (the test kit's CA directory); one signing at a time."""

    def __init__(self, config, chain, work):
        self.config = config
        self.chain = chain
        self.work = work
        self.lock = threading.Lock()
        self.counter = 0
        self.received = {}

    def path(self, name):
        with self.lock:
            self.counter += 1
            return os.path.join(self.work, "%d-%s" % (self.counter, name))

    def openssl(self, *args, stdin=None):
        proc = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError("openssl %s failed: %s" % (args[0], proc.stderr.decode(errors="replace")))
        return proc.stdout

    def csr_pem(self, csr_der):
        """Checks the CSR's signature (`openssl req -verify`) and returns it as PEM."""
        return self.openssl("req", "-inform", "DER", "-verify", "-outform", "PEM", stdin=csr_der)

    def subject(self, pem, what):
        out = self.openssl(what, "-noout", "-subject", "-nameopt", "RFC2253", stdin=pem)
        return out.decode().strip().split("=", 1)[1]

    def sign(self, csr_pem):
        csr = self.path("in.csr")
        cert = self.path("out.pem")
        with open(csr, "wb") as f:
            f.write(csr_pem)
        with self.lock:
            self.openssl("ca", "-batch", "-notext", "-config", self.config,
                         "-extensions", "client_cert", "-in", csr, "-out", cert)
        with open(cert, "rb") as f:
            return f.read()

    def foreign_csr(self):
        """A CSR for a key nobody but this server has (the `otherkey` case)."""
        key = self.path("other.key")
        return self.openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-noenc", "-subj", "/CN=someone else", "-keyout", key)

    def p7(self, *pems):
        args = ["crl2pkcs7", "-nocrl", "-outform", "DER"]
        for i, pem in enumerate(pems):
            path = self.path("p7-%d.pem" % i)
            with open(path, "wb") as f:
                f.write(pem)
            args += ["-certfile", path]
        return self.openssl(*args)

    def chain_pem(self):
        with open(self.chain, "rb") as f:
            return f.read()

    def keep_received(self, label, csr_pem):
        """Saves a received CSR as received-<label>-<n>.csr (written whole, then renamed)."""
        with self.lock:
            self.received[label] = self.received.get(label, 0) + 1
            n = self.received[label]
        final = os.path.join(self.work, "received-%s-%d.csr" % (label, n))
        with open(final + ".tmp", "wb") as f:
            f.write(csr_pem)
        os.replace(final + ".tmp", final)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "certdesk-test-est/1"

    def setup(self):
        # The TLS handshake runs here, in the request's thread, not in the accept loop.
        self.request.settimeout(30)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))
        sys.stderr.flush()

    def answer(self, status, body=b"", content_type="text/plain; charset=utf-8", headers=()):
        self.send_response(status)
        if body or status not in (202, 204, 302):
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def answer_p7(self, p7_der):
        self.answer(200, wrap64(p7_der), P7_TYPE, [("Content-Transfer-Encoding", "base64")])

    def route(self):
        path = self.path.split("?", 1)[0]
        if not path.startswith(PREFIX):
            return None, None
        parts = path[len(PREFIX):].split("/")
        if len(parts) != 2 or parts[1] not in OPERATIONS:
            return None, None
        return parts[0], parts[1]

    def do_GET(self):
        self.handle_request(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.handle_request(self.rfile.read(length))

    def basic_ok(self):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            user, _, code = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.server.user and code == self.server.code

    def handle_request(self, body):
        case, op = self.route()
        srv = self.server
        if case is None or case == "notfound":
            return self.answer(404, b"Not Found\n")
        if case == "redirect":
            port = srv.server_address[1]
            return self.answer(302, b"", headers=[("Location", "http://127.0.0.1:%d%s" % (port, self.path))])
        if case == "elsewhere":
            port = srv.server_address[1]
            return self.answer(302, b"", headers=[("Location", "https://localhost:%d/.well-known/est/ok/%s" % (port, op))])
        if op == "cacerts":
            return self.answer_p7(srv.ca.p7(srv.ca.chain_pem()))
        if op == "csrattrs":
            return self.answer(200, wrap64(WANTS.get(case, CSR_ATTRS_DER)), "application/csrattrs",
                               [("Content-Transfer-Encoding", "base64")])
        if self.command != "POST":
            return self.answer(405, b"Method Not Allowed\n", headers=[("Allow", "POST")])
        if case == "forbidden":
            return self.answer(403, b"Enrollment of this subject is not permitted for your account.\n")
        if case == "error500":
            return self.answer(500, b"database locked\n")
        if case == "html":
            page = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"
                    b"<body><form method=post action=/login><input name=user>"
                    b"<input type=password name=pw></form></body></html>\n")
            return self.answer(200, page, "text/html; charset=utf-8")
        if case == "empty":
            return self.answer(200, b"", P7_TYPE, [("Content-Transfer-Encoding", "base64")])
        if case == "badp7":
            junk = b"this is not a PKCS#7 structure at all, just some bytes " * 4
            return self.answer(200, wrap64(junk), P7_TYPE, [("Content-Transfer-Encoding", "base64")])
        if case == "hang":
            time.sleep(60)
            return self.answer(503, b"woke up\n")
        if case == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", P7_TYPE)
            self.send_header("Content-Length", "60")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b"A")
                    self.wfile.flush()
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
            return None
        if case == "huge":
            line = b"A" * 64 + b"\n"
            return self.answer(200, line * (6 * 1024 * 1024 // len(line) + 1), P7_TYPE)
        if (op == "simpleenroll" and case in ("ok", "pending", "otherkey", "reenroll", *WANTS)
                and not self.basic_ok()):
            return self.answer(401, b"Unauthorized\n", headers=[("WWW-Authenticate", 'Basic realm="est"')])
        peer = self.request.getpeercert(binary_form=True)
        if op == "simplereenroll":
            if case != "reenroll":
                return self.answer(404, b"Not Found\n")
            if not peer:
                return self.answer(401, b"simplereenroll needs your current certificate (TLS client authentication)\n")
        try:
            csr_der = base64.b64decode(body, validate=False)
            csr_pem = srv.ca.csr_pem(csr_der)
        except (ValueError, RuntimeError) as e:
            return self.answer(400, ("bad request: %s\n" % e).encode())
        srv.ca.keep_received(case, csr_pem)
        if op == "simplereenroll":
            peer_pem = ssl.DER_cert_to_PEM_cert(peer).encode()
            have, want = srv.ca.subject(peer_pem, "x509"), srv.ca.subject(csr_pem, "req")
            if have != want:
                return self.answer(400, ("re-enrollment must keep the subject: %s != %s\n" % (have, want)).encode())
            return self.answer_p7(srv.ca.p7(srv.ca.sign(csr_pem)))
        # simpleenroll (credentials were checked before the body was read)
        if case == "pending":
            digest = hashlib.sha256(csr_der).hexdigest()
            with srv.seen_lock:
                first = digest not in srv.seen
                srv.seen.add(digest)
            if first:
                return self.answer(202, b"", headers=[("Retry-After", "1")])
        if case == "otherkey":
            return self.answer_p7(srv.ca.p7(srv.ca.sign(srv.ca.foreign_csr())))
        if case in ("ok", "pending", "reenroll", *WANTS):
            return self.answer_p7(srv.ca.p7(srv.ca.sign(csr_pem)))
        return self.answer(404, b"Not Found\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, context, ca, user, code):
        self.context = context
        self.ca = ca
        self.user = user
        self.code = code
        self.seen = set()
        self.seen_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        sys.stderr.write("%s connection from %s ended: %s\n" % (time.strftime("%H:%M:%S"), client_address, sys.exc_info()[1]))
        sys.stderr.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cert", required=True, help="server certificate chain, PEM")
    p.add_argument("--key", required=True, help="server key, PEM")
    p.add_argument("--client-ca", required=True, help="CA certificates accepted for re-enrollment")
    p.add_argument("--ca-config", required=True, help="openssl ca configuration of the issuing CA")
    p.add_argument("--ca-chain", required=True, help="issuing CA chain, PEM (cacerts)")
    p.add_argument("--work", required=True, help="directory for temporary files")
    p.add_argument("--user", required=True)
    p.add_argument("--code-file", required=True, help="file holding the enrollment code")
    args = p.parse_args()
    with open(args.code_file) as f:
        code = f.read().strip()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    context.load_verify_locations(args.client_ca)
    context.verify_mode = ssl.CERT_OPTIONAL
    server = Server(context, Ca(args.ca_config, args.ca_chain, args.work), args.user, code)
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    print("LISTENING %d" % server.server_address[1], flush=True)
    server.serve_forever()


def exit_with_parent(parent):
    """A test process that dies without stopping us (a panic in a static) leaves no server."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


if __name__ == "__main__":
    main()
