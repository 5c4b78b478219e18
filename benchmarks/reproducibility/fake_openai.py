#!/usr/bin/env python3
"""A fake OpenAI-compatible chat server for reproducibility checks.

Replies are a deterministic function of the request's messages (sha256), so any difference between
runs comes from the client, not the server. Each request sleeps a random 0-300 ms first (unseeded,
so concurrent requests complete in a shuffled order), and samples are drawn from a small shared
pool of texts, so concurrent replies repeat each other's samples and the client's de-duplication
("copies of earlier rows") has to pick one. GET /v1/models: 404.
Usage: fake_openai.py PORT [LOG]   (LOG: one line per request, arrival order)
"""
import hashlib, json, random, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
LOG = open(sys.argv[2], "a") if len(sys.argv) > 2 else None
lock = threading.Lock()
WORDS = ["river", "engine", "garden", "protein", "satellite", "violin", "glacier", "senate", "copper",
         "bakery", "harbor", "comet", "lantern", "meadow", "falcon", "quartz"]

def content(schema, messages):
    h = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
    r = random.Random(h)
    if schema == "synalign_attributes":
        return json.dumps({"tone": "tone-" + h[:6], "topic": r.choice(WORDS)})
    if schema == "synalign_samples":
        # 4 samples from a pool of 16 x 16 two-word questions: frequent overlaps between replies
        return json.dumps({"samples": [{"text": f"What is the {r.choice(WORDS)} of the {r.choice(WORDS)} ?"}
                                       for _ in range(4)]})
    return "free text " + h[:8]

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def _send(self, code, body):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self._send(404, '{"error":{"message":"File Not Found"}}')
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        schema = body.get("response_format", {}).get("json_schema", {}).get("name", "")
        msgs = [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
        if LOG:
            with lock:
                LOG.write(f"{time.time():.3f} {schema} seed={body.get('seed')} "
                          f"{hashlib.sha256(json.dumps(msgs).encode()).hexdigest()[:12]}\n"); LOG.flush()
        time.sleep(random.random() * 0.3)
        c = content(schema, msgs)
        self._send(200, json.dumps({"id": "chatcmpl-fake", "object": "chat.completion", "model": body.get("model"),
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": c}}]}))

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
