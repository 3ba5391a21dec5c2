#!/usr/bin/env python3
"""http_api.py — a local JSON API that behaves like real ones, for the http_json source tests, the
benchmark and examples/oso. Usage: http_api.py PORTFILE [LOGFILE] [N_EVENTS]
Writes the port it listens on (127.0.0.1) to PORTFILE ($FLOE_SERVE_PORT_FILE when set: started by
source.serve); appends one JSON line per request to LOGFILE.

  /events?page=&per_page=        GitHub-like: a JSON array per page, `Link: <...>; rel="next"`
  /paged?page=&size=             {"data": {"items": [...]}}; an empty page after the last
  /offset?offset=&limit=         {"results": [...], "total": N}
  /cursor?cursor=                {"items": [...], "meta": {"next_cursor": "..." | null}}
  any path with chaos=1          per distinct URL: 1st hit 503, 2nd 429 (Retry-After: 1), then OK
  any path with chaos=2          per distinct URL: 1st hit 429 with Retry-After as an HTTP date 2 s ahead
  any path with token=T          401 unless `Authorization: Bearer T`
  /slow                          sleeps 5 s
  /missing                       404
"""
import json, os, socket, sys, threading, time
from email.utils import formatdate
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

N = int(sys.argv[3]) if len(sys.argv) > 3 else 250
LOG = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
hits = {}
lock = threading.Lock()

def event(i):
    return {"id": i, "type": ["PushEvent", "ForkEvent", "WatchEvent"][i % 3],
            "actor": {"login": f"user{i % 17}", "id": 1000 + i % 17},
            "repo": {"name": f"org{i % 5}/repo{i % 11}"},
            "created_at": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def setup(self):
        super().setup()  # headers and body are separate writes: without NODELAY, delayed ACKs add ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def send(self, code, body, headers=()):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if LOG:
            with lock, open(LOG, "a") as f:
                f.write(json.dumps({"t": time.time(), "path": self.path,
                                    "auth": self.headers.get("Authorization"), "x": self.headers.get("X-Api-Key")}) + "\n")
        if q.get("chaos") == "1":
            with lock:
                hits[self.path] = n = hits.get(self.path, 0) + 1
            if n == 1: return self.send(503, {"message": "try again"})
            if n == 2: return self.send(429, {"message": "slow down"}, [("Retry-After", "1")])
        if q.get("chaos") == "2":
            with lock:
                hits[self.path] = n = hits.get(self.path, 0) + 1
            if n == 1:
                return self.send(429, {"message": "slow down"}, [("Retry-After", formatdate(time.time() + 2, usegmt=True))])
        if "token" in q and self.headers.get("Authorization") != "Bearer " + q["token"]:
            return self.send(401, {"message": "Bad credentials"})
        if u.path == "/slow":
            time.sleep(5); return self.send(200, [])
        if u.path == "/events":
            page, per = int(q.get("page", 1)), int(q.get("per_page", 30))
            items = [event(i) for i in range((page - 1) * per, min(page * per, N))]
            hdr = []
            if page * per < N:
                nq = dict(q); nq["page"] = str(page + 1)
                hdr.append(("Link", '<http://%s/events?%s>; rel="next", <http://%s/events?page=1>; rel="first"' % (
                    self.headers.get("Host"), "&".join(f"{k}={v}" for k, v in nq.items()), self.headers.get("Host"))))
            return self.send(200, items, hdr)
        if u.path == "/paged":
            page, size = int(q.get("page", 1)), int(q.get("size", 50))
            return self.send(200, {"data": {"items": [event(i) for i in range((page - 1) * size, min(page * size, N))]}})
        if u.path == "/offset":
            off, lim = int(q.get("offset", 0)), int(q.get("limit", 50))
            return self.send(200, {"results": [event(i) for i in range(off, min(off + lim, N))], "total": N})
        if u.path == "/cursor":
            start = int(q.get("cursor", "c0")[1:])
            end = min(start + 40, N)
            return self.send(200, {"items": [event(i) for i in range(start, end)],
                                   "meta": {"next_cursor": f"c{end}" if end < N else None}})
        return self.send(404, {"message": "Not Found"})

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
PORTFILE = os.environ.get("FLOE_SERVE_PORT_FILE") or sys.argv[1]
with open(PORTFILE + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
