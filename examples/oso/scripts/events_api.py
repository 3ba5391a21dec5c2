#!/usr/bin/env python3
"""events_api.py — a local stand-in for the GitHub events API, for the example's http_json source.
Serves /repos/events?per_page=N&page=P: a JSON array of GitHub-like events per page, with a
`Link: <...>; rel="next"` header like GitHub's, 1,200 events in all (deterministic). It also fails the
way GitHub does: the first request of page 3 gets a 503, the first of page 5 a 429 with
Retry-After: 1 — so the example exercises retries. Usage: events_api.py [PORT] (floe starts and stops it:
source.serve in assets/api.yaml). Without PORT it listens on a free port and writes it to
$FLOE_SERVE_PORT_FILE, so overlapping runs each get their own server."""
import json, os, socket, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

N = 1200
TYPES = ["PushEvent", "IssuesEvent", "PullRequestEvent", "WatchEvent", "ForkEvent"]
seen = set()

def event(i):
    org = f"{['atlas','beacon','cedar','delta','ember'][i % 5]}-labs-gh"
    return {"id": str(30000000000 + i), "type": TYPES[i % 5],
            "actor": {"id": 500 + i % 37, "login": f"dev{i % 37}"},
            "repo": {"id": 9000 + i % 23, "name": f"{org}/repo{i % 4}"},
            "payload": {"size": i % 7} if i % 5 == 0 else {},
            "created_at": f"2024-{1 + i % 6:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"}

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def reply(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path != "/repos/events": return self.reply(404, {"message": "Not Found"})
        page, per = int(q.get("page", 1)), min(int(q.get("per_page", 30)), 100)
        if page in (3, 5) and page not in seen:
            seen.add(page)
            if page == 3: return self.reply(503, {"message": "Server Error"})
            return self.reply(429, {"message": "API rate limit exceeded"}, [("Retry-After", "1")])
        items = [event(i) for i in range((page - 1) * per, min(page * per, N))]
        hdr = []
        if page * per < N:
            host = self.headers.get("Host")
            hdr.append(("Link", f'<http://{host}/repos/events?per_page={per}&page={page + 1}>; rel="next", '
                                f'<http://{host}/repos/events?per_page={per}&page={(N + per - 1) // per}>; rel="last"'))
        self.reply(200, items, hdr)

ThreadingHTTPServer.allow_reuse_address = True
srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), H)
port_file = os.environ.get("FLOE_SERVE_PORT_FILE")
if port_file:  # written whole, then renamed: floe never reads half a number
    with open(port_file + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
