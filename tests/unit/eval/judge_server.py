"""A scripted local chat-completions server for the openai judge tests (not a test module).

Each POST to /v1/chat/completions takes the next action from a FIFO script; with the script
empty it answers a valid grade. Actions: ("sleep", seconds) then a valid grade (the client has
timed out by then), ("status", code, headers), ("text", content). Every request body is kept.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VALID = {"accuracy": 2, "fluency": 3, "informativeness": 2, "logicality": 3, "harmlessness": 3,
         "reason": "mostly right"}
USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


class ScriptedServer:
    """Start with `with ScriptedServer() as srv:`; `srv.url` is the base URL (…/v1)."""

    def __init__(self, script=()):
        self.script = deque(script)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.lock:
                    owner.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                    action = owner.script.popleft() if owner.script else ("text", json.dumps(VALID))
                try:
                    owner._act(self, action, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @staticmethod
    def _act(handler, action, body) -> None:
        kind = action[0]
        if kind == "sleep":
            time.sleep(action[1])
            action = ("text", json.dumps(VALID))
        if kind == "status":
            payload = json.dumps({"error": {"message": f"scripted {action[1]}"}}).encode()
            handler.send_response(action[1])
            for name, value in (action[2] if len(action) > 2 else {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        reply = {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                 "model": body.get("model", "m"), "usage": USAGE,
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": action[1]}}]}
        payload = json.dumps(reply).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @property
    def hits(self) -> int:
        return len(self.requests)

    def __enter__(self) -> "ScriptedServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
