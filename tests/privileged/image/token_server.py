#!/usr/bin/python3
"""A Docker registry token server for the pull tests (distribution's token auth).

GET  /token?service=S&scope=repository:NAME:ACTIONS   with Basic credentials
POST /token  (grant_type=refresh_token&refresh_token=T&service=S&scope=...)  OAuth2 form

Answers {"token": JWT, "expires_in": 300} to a GET and {"access_token": JWT, ...} to a
POST when the credentials match, 401 otherwise. The JWT is signed RS256 with --key and
carries the certificate (--cert) in its x5c header, which the registry checks against its
rootcertbundle. Every request is appended to --log as one line:
  METHOD basic=<user:pass or -> scope=<scope> status=<code>
so the test can see what the client sent.
"""

import argparse
import base64
import json
import sys
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--refresh-token", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    with open(args.key, "rb") as f:
        key = f.read()
    with open(args.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]

    def issue(scope):
        now = int(time.time())
        access = []
        if scope:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        claims = {
            "iss": args.issuer,
            "sub": args.user,
            "aud": args.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"x5c": x5c})

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *unused):
            pass

        def record(self, basic, scope, status):
            with open(args.log, "a") as f:
                f.write(f"{self.command} basic={basic or '-'} scope={scope or '-'} status={status}\n")

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            scope = query.get("scope", [""])[0]
            basic = ""
            header = self.headers.get("Authorization", "")
            if header.startswith("Basic "):
                basic = base64.b64decode(header[6:]).decode(errors="replace")
            ok = (url.path == "/token" and query.get("service", [""])[0] == args.service
                  and basic == f"{args.user}:{args.password}")
            status = 200 if ok else 401
            self.record(basic, scope, status)
            if ok:
                self.reply(200, {"token": issue(scope), "expires_in": 300})
            else:
                self.reply(401, {"details": "invalid credentials"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            scope = form.get("scope", [""])[0]
            ok = (form.get("grant_type", [""])[0] == "refresh_token"
                  and form.get("refresh_token", [""])[0] == args.refresh_token
                  and form.get("service", [""])[0] == args.service)
            status = 200 if ok else 401
            self.record("refresh_token", scope, status)
            if ok:
                self.reply(200, {"access_token": issue(scope), "expires_in": 300})
            else:
                self.reply(401, {"details": "invalid refresh token"})

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("token server ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
