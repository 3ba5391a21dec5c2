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
For the confinement tests (tests/e2e/ingest_http_confine.sh), playing a hostile API:
  /pages?next=URL                10 events, `Link: <URL>; rel="next"` and {"items": [...], "next": URL}
  /redirect?to=URL               302 to URL
  /loop?n=K                      302 to /loop?n=K+1, for ever
  /bomb?mb=M                     gzip body (a few hundred KB) inflating to M MiB of JSON records
  /echo_err?pad=P                400 whose body is P x's, then the request's X-Api-Key, then 100 KB
  /raw?case=NAME                 200 with one of the bodies in RAW (malformed JSON, escaped keys, ...)
The same API also answers on 127.0.0.2 at the same port ("another host"), and a raw TCP listener on
127.0.0.1 (port in PORTFILE.raw) appends to LOGFILE.raw one line per connection and every byte it receives,
to show that no gopher/dict/ftp request ever reaches a local service. Request log lines name the server
address that answered ("srv").
"""
import gzip, json, os, socket, sys, threading, time, zlib
from email.utils import formatdate
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

N = int(sys.argv[3]) if len(sys.argv) > 3 else 250
LOG = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
hits = {}
lock = threading.Lock()
bombs = {}
RAW = {"bad_elem": '{"items": [{"id": 1},\n {"id": tru}], "next": null}',
       "trailing": '{"items": [{"id": 1}]} x',
       "html": "<!DOCTYPE html><html><body>" + "z" * 1000,
       "escaped_key": '{"it\\u0065ms": [{"id": 1}, {"id": 2}], "items": [{"id": 3}]}',  # the last one wins
       "cursor_inside": '{"items": [{"id": 1, "c": "x"}]}',
       "nested": '{"meta": {"items": [9]}, "data": [{"items": [{"id": 5}]}, {"items": [{"id": 6}, 7]}]}'}

def bomb(mb):
    """M MiB of [{"id":i,"pad":"aaa..."},...] gzipped, made once per size (compresses ~1000:1)."""
    with lock:
        if mb not in bombs:
            z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
            rec = ',{"id":0,"pad":"' + "a" * 1000 + '"}'
            chunk = (rec * 1024).encode()  # ~1 MiB
            parts = [z.compress(b'[{"id":0}')]
            for _ in range(mb): parts.append(z.compress(chunk))
            parts.append(z.compress(b"]")); parts.append(z.flush())
            bombs[mb] = b"".join(parts)
        return bombs[mb]

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
                f.write(json.dumps({"t": time.time(), "path": self.path, "srv": self.server.server_address[0],
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
        if u.path == "/pages":
            nxt = q.get("next")
            return self.send(200, {"items": [event(i) for i in range(10)], "next": nxt},
                             [("Link", '<%s>; rel="next"' % nxt)] if nxt else [])
        if u.path == "/redirect":
            return self.send(302, {"message": "moved"}, [("Location", q["to"])])
        if u.path == "/loop":
            return self.send(302, {"message": "moved"}, [("Location", "/loop?n=%d" % (int(q.get("n", 0)) + 1))])
        if u.path == "/bomb":
            return self.send(200, bomb(int(q.get("mb", 100))), [("Content-Encoding", "gzip")])
        if u.path == "/raw":
            return self.send(200, RAW[q["case"]].encode())
        if u.path == "/echo_err":
            body = "x" * int(q.get("pad", 0)) + (self.headers.get("X-Api-Key") or "") + "y" * 100000
            return self.send(400, body.encode())
        return self.send(404, {"message": "Not Found"})

class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address): pass  # a client that stops reading (max_page_bytes) is expected

def raw_listener(portfile):
    """A plain TCP service on 127.0.0.1: logs each connection and the bytes it receives."""
    ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(16)
    with open(portfile + ".tmp", "w") as f: f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    def serve(c):
        c.settimeout(2)
        data = b""
        try:
            while True:
                b = c.recv(4096)
                if not b: break
                data += b
        except OSError: pass
        c.close()
        if LOG:
            with lock, open(LOG + ".raw", "a") as f: f.write(json.dumps({"t": time.time(), "bytes": data.decode("latin-1")}) + "\n")
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

srv = Server(("127.0.0.1", 0), H)
PORTFILE = os.environ.get("FLOE_SERVE_PORT_FILE") or sys.argv[1]
if not os.environ.get("FLOE_SERVE_PORT_FILE"):  # "another host" and a raw service, for the confinement tests
    other = Server(("127.0.0.2", srv.server_address[1]), H)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    threading.Thread(target=raw_listener, args=(PORTFILE + ".raw",), daemon=True).start()
with open(PORTFILE + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
