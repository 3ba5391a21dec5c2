#!/usr/bin/env python3
"""clickhouse_fake.py — a stand-in for ClickHouse's HTTP interface, for tests (ClickHouse cannot be
installed here). It answers the way ClickHouse does: credentials in X-ClickHouse-User/X-ClickHouse-Key
headers, basic auth or user/password URL parameters; the query in the POST body or ?query=; 200 with
TabSeparated rows and X-ClickHouse-Summary / -Query-Id / -Format / -Timezone headers; errors with
X-ClickHouse-Exception-Code and a "Code: N. DB::Exception: ... (NAME) (version ...)" body.

Usage: clickhouse_fake.py PORT_FILE USER PASSWORD [REQUEST_LOG]
Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE. REQUEST_LOG gets one line per
request: method, path, and which credential headers were present (never their values)."""
import base64
import json
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

VERSION = "24.3.1.1"
port_file, USER, PASSWORD = sys.argv[1], sys.argv[2], sys.argv[3]
LOG = sys.argv[4] if len(sys.argv) > 4 else None
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, body, headers=None, reason=None):
        data = body.encode()
        self.send_response(status, reason)
        self.send_header("Content-Type", "text/tab-separated-values; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-ClickHouse-Server-Display-Name", "fake-clickhouse")
        self.send_header("X-ClickHouse-Query-Id", str(uuid.uuid4()))
        self.send_header("X-ClickHouse-Timezone", "UTC")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, name, msg):
        self.reply(status, f"Code: {code}. DB::Exception: {msg}. ({name}) (version {VERSION})\n",
                   {"X-ClickHouse-Exception-Code": str(code)},
                   reason="Unknown" if status == 516 else None)

    def handle_query(self, body):
        url = urlparse(self.path)
        params = parse_qs(url.query)
        user = self.headers.get("X-ClickHouse-User")
        key = self.headers.get("X-ClickHouse-Key")
        how = "headers" if user is not None or key is not None else None
        auth = self.headers.get("Authorization", "")
        if how is None and auth.startswith("Basic "):
            user, _, key = base64.b64decode(auth[6:]).decode().partition(":")
            how = "basic"
        if how is None and ("user" in params or "password" in params):
            user, key = params.get("user", ["default"])[0], params.get("password", [""])[0]
            how = "url"
        user = user or "default"
        key = key or ""
        if LOG:
            with lock, open(LOG, "a") as f:
                f.write(f"{self.command} {url.path} auth={how} user={user} "
                        f"password_in_url={'password' in params}\n")
        if url.path == "/ping":
            return self.reply(200, "Ok.\n")
        if user != USER or key != PASSWORD:
            return self.error(516, 516, "AUTHENTICATION_FAILED",
                              f"{user}: Authentication failed: password is incorrect, or there is no user with such name")
        query = (params.get("query", [""])[0] + " " + body).strip().rstrip(";").strip()
        if query.upper() in ("SELECT 1", "SELECT 1 FORMAT TABSEPARATED"):
            summary = {"read_rows": "1", "read_bytes": "1", "written_rows": "0", "written_bytes": "0",
                       "total_rows_to_read": "0", "result_rows": "1", "result_bytes": "256", "elapsed_ns": "412000"}
            return self.reply(200, "1\n", {"X-ClickHouse-Format": "TabSeparated",
                                           "X-ClickHouse-Summary": json.dumps(summary, separators=(",", ":"))})
        if query.upper() == "SELECT VERSION()":
            return self.reply(200, VERSION + "\n", {"X-ClickHouse-Format": "TabSeparated"})
        return self.error(400, 62, "SYNTAX_ERROR", f"Syntax error: failed at position 1 ('{query[:20]}')")

    def do_GET(self):
        self.handle_query("")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.handle_query(self.rfile.read(n).decode() if n else "")


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
