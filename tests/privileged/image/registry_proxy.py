#!/usr/bin/python3
"""A misbehaving front for a registry, for the pull tests.

It listens on --port and forwards /v2/ requests to --upstream (Authorization and
Accept included), except blob downloads, which it redirects (307) to a "storage"
server it runs on a different host and port (--storage-host:--storage-port). The
storage server reads blobs straight from the registry's storage directory
(--storage-root), as S3 behind a real registry would serve them, honours
"Range: bytes=N-", and logs one line per request to --log:
  storage digest=<hex> authorization=<yes|no> range=<N or -> cut=<yes|no>
With --cut, the first range-less download of each blob stops halfway (the
Content-Length promised the whole blob) and the connection is closed, so the
client has to resume. With --stall S, that first download stops halfway for S
seconds with the connection open instead, so the client's stall timeout has to
notice. With --basic USER:PASS every /v2/ request needs that
Basic authorization, answered by a Basic challenge otherwise.
"""

import argparse
import base64
import http.client
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
              "proxy-authenticate", "host", "content-length"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--storage-host", default="127.0.0.2")
    parser.add_argument("--storage-port", type=int, required=True)
    parser.add_argument("--storage-root", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cut", action="store_true")
    parser.add_argument("--stall", type=float, default=0)
    parser.add_argument("--basic", default="")
    args = parser.parse_args()
    upstream = urllib.parse.urlparse(args.upstream)
    log_lock = threading.Lock()
    cut_done = set()

    def log(line):
        with log_lock:
            with open(args.log, "a") as f:
                f.write(line + "\n")

    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def do_GET(self):
            if args.basic:
                expected = "Basic " + base64.b64encode(args.basic.encode()).decode()
                if self.headers.get("Authorization", "") != expected:
                    body = b'{"errors":[{"code":"UNAUTHORIZED","message":"basic authentication required"}]}'
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="corral test"')
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
            path = urllib.parse.urlparse(self.path).path
            if "/blobs/sha256:" in path:
                digest = path.rsplit("/", 1)[1]
                # Check with the registry that the blob is there and the client may
                # have it, then send the client to storage with a "signed" URL.
                status, headers, body = self.forward("HEAD")
                if status != 200:
                    self.relay(status, headers, body)
                    return
                self.send_response(307)
                self.send_header("Location", f"http://{args.storage_host}:{args.storage_port}/blobs/{digest}?signature=x")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.relay(*self.forward("GET"))

        def forward(self, method):
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            if args.basic:
                headers.pop("Authorization", None)
            if method == "HEAD":
                headers = {k: v for k, v in headers.items() if k.lower() != "range"}
            connection.request(method, self.path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            connection.close()
            return response.status, response.getheaders(), body

        def relay(self, status, headers, body):
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Storage(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path
            hex_digest = path.rsplit(":", 1)[-1]
            blob = os.path.join(args.storage_root, "docker/registry/v2/blobs/sha256", hex_digest[:2], hex_digest, "data")
            authorization = "yes" if "Authorization" in self.headers else "no"
            start = None
            if self.headers.get("Range", "").startswith("bytes="):
                start = int(self.headers["Range"][6:].split("-")[0])
            try:
                with open(blob, "rb") as f:
                    data = f.read()
            except OSError:
                log(f"storage digest={hex_digest} authorization={authorization} range={start if start is not None else '-'} cut=no missing")
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            cut = (args.cut or args.stall > 0) and start is None and hex_digest not in cut_done and len(data) > 1024
            log(f"storage digest={hex_digest} authorization={authorization} range={start if start is not None else '-'} cut={'yes' if cut else 'no'}")
            if start is not None:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                data = data[start:]
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if cut:
                cut_done.add(hex_digest)
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                if args.stall > 0:
                    time.sleep(args.stall)
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(data)

    front = ThreadingHTTPServer(("127.0.0.1", args.port), Front)
    storage = ThreadingHTTPServer((args.storage_host, args.storage_port), Storage)
    threading.Thread(target=storage.serve_forever, daemon=True).start()
    print("proxy ready", flush=True)
    front.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
