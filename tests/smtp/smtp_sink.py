#!/usr/bin/python3
"""A real SMTP server on loopback for mxauth's tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 on a port the kernel picks, prints "port N" on stdout
once it accepts connections, and writes every message it accepts to DIR as
NNNN.eml (the data as received) and NNNN.json ({"mail_from", "rcpt_tos",
"authenticated", "login"}), the JSON last, so that a reader that sees it
sees the whole message. It runs until its standard input closes or it gets
SIGTERM.

  --auth USER:PASSWORD   require AUTH (PLAIN or LOGIN) with these credentials,
                         over the plain connection too
  --auth-mechanism M     offer only this AUTH mechanism (PLAIN or LOGIN)
  --fail-first N         answer the first N messages' data with --fail-code
  --fail-code CODE       451 (default: a temporary failure) or 5yz
  --tls starttls|tls     offer STARTTLS and require it before MAIL, or speak TLS
                         from the first byte (smtps); the certificate, for
                         127.0.0.1 and localhost, is made with openssl and
                         written to DIR/cert.pem, for the client to trust

Run it with /usr/bin/python3: aiosmtpd is a Debian package, not on the path of
other interpreters.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, fail_first, fail_code):
        self.directory = directory
        self.fail_first = fail_first
        self.fail_code = fail_code
        self.received = 0  # data commands seen, failed or accepted
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        if self.received <= self.fail_first:
            text = "try again later" if self.fail_code < 500 else "refused"
            return f"{self.fail_code} {text} (test sink, message {self.received})"
        self.accepted += 1
        stem = os.path.join(self.directory, f"{self.accepted:04d}")
        with open(stem + ".eml", "wb") as out:
            out.write(envelope.original_content)
        login = None
        if session.auth_data is not None:
            login = session.auth_data.login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "login": login,
            "tls": session.ssl is not None
            or server.transport.get_extra_info("sslcontext") is not None,
        }
        with open(stem + ".json.tmp", "w", encoding="utf-8") as out:
            json.dump(meta, out)
        os.replace(stem + ".json.tmp", stem + ".json")
        return "250 OK"


def tls_context(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def authenticator_for(credentials):
    user, _, password = credentials.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


async def main():
    # Requiring AUTH without TLS is what the tests want; say nothing about it.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--auth-mechanism", choices=["PLAIN", "LOGIN"])
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-code", type=int, default=451)
    parser.add_argument("--tls", choices=["starttls", "tls"])
    args = parser.parse_args()

    sink = Sink(args.dir, args.fail_first, args.fail_code)
    kwargs = {"hostname": "mxauth-test-sink", "decode_data": False}
    if args.auth:
        kwargs.update(authenticator=authenticator_for(args.auth), auth_required=True,
                      auth_require_tls=False)
        if args.auth_mechanism:
            kwargs.update(auth_exclude_mechanism=[
                m for m in ("PLAIN", "LOGIN") if m != args.auth_mechanism])
    server_ssl = None
    if args.tls == "starttls":
        kwargs.update(tls_context=tls_context(args.dir), require_starttls=True)
    elif args.tls == "tls":
        server_ssl = tls_context(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, **kwargs), "127.0.0.1", 0,
                                      ssl=server_ssl)
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)

    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_reader(sys.stdin.fileno(), lambda: done.set() if not os.read(sys.stdin.fileno(), 4096) else None)
    await done.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
