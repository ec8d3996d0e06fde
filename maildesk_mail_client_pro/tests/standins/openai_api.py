"""A local stand-in for an OpenAI-compatible API: ``POST /v1/chat/completions`` and
``GET /v1/models``, with the real JSON shapes of answers and errors.

A real HTTP server on 127.0.0.1 (plain HTTP, as self-hosted servers are), so the client runs
unchanged. Every request is recorded (``requests``: path, headers, JSON body), so tests assert
exactly what MailDesk sent. What the "model" answers is scripted: a queue of canned answers,
then ``respond(callable)``, then a plain "OK". An answer is a ``str`` (the message content), a
``dict`` (JSON content, as a model answering in JSON) or ``(status, body, headers)`` as sent
(``body`` a dict, or bytes for garbage). Used by the Odoo-free tests and the Odoo tests alike:
no pytest here.
"""
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# What llama-cpp-python's server (0.3) answers, with HTTP 500, to response_format json_schema.
LLAMA_CPP_JSON_SCHEMA_REFUSAL = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict  # lower-case names
    json: dict | None = None

    @property
    def messages(self):
        return (self.json or {}).get("messages", [])

    @property
    def text(self):
        """All the message contents sent, one after the other."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


def error(status, message, type_="invalid_request_error", code=None, headers=None):
    """An answer in OpenAI's error shape."""
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return status, body, headers or {}


def rate_limited(retry_after=None):
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return error(429, "Rate limit reached for requests. Please try again later.", "requests",
                 "rate_limit_exceeded", headers)


def insufficient_quota():
    return error(429, "You exceeded your current quota, please check your plan and billing details.",
                 "insufficient_quota", "insufficient_quota")


def server_error(status=500):
    return error(status, "The server had an error while processing your request. Sorry about that!",
                 "server_error")


GARBAGE = (200, b"<html><body>502 Bad Gateway from a proxy</body></html>", {"Content-Type": "text/html"})
NO_CHOICES = (200, {"id": "chatcmpl-0", "object": "chat.completion", "choices": []}, {})


@dataclass
class OpenAIStandIn:
    api_key: str = "sk-test"  # None: any key (or none) is taken
    models: tuple = ("stand-in-model",)
    reject_json_schema: bool = False  # HTTP 500 to response_format json_schema, as llama.cpp
    reject_json_object: bool = False  # HTTP 400 to response_format json_object
    delay: float = 0.0  # seconds before each chat answer (a slow model)
    requests: list = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    responder: object = None

    def __post_init__(self):
        self._server = None
        self._lock = threading.Lock()

    # -- life cycle --------------------------------------------------------------------------
    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        serve.daemon = True
        serve.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # -- scripting ---------------------------------------------------------------------------
    def respond(self, responder):
        """``responder(request_json)`` answers every chat call the queue does not."""
        self.responder = responder
        return self

    def queue(self, *answers):
        self.answers.extend(answers)
        return self

    @property
    def chat_requests(self):
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- serving -----------------------------------------------------------------------------
    def _authorised(self, headers):
        if self.api_key is None:
            return True
        bearer = headers.get("authorization", "")
        return bearer == f"Bearer {self.api_key}" or headers.get("api-key") == self.api_key

    def serve(self, request):
        self.requests.append(request)
        if not self._authorised(request.headers):
            masked = "sk-" + "*" * 8 + (request.headers.get("authorization", "")[-4:])
            return error(401, f"Incorrect API key provided: {masked}. You can find your API key at "
                              "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
        if request.method == "GET" and request.path == "/v1/models":
            data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "maildesk-stand-in"}
                    for m in self.models]
            return 200, {"object": "list", "data": data}, {}
        if request.method == "POST" and request.path == "/v1/chat/completions":
            return self._chat(request.json or {})
        return error(404, f"Invalid URL ({request.method} {request.path})")

    def _chat(self, body):
        if self.delay:
            time.sleep(self.delay)
        model = body.get("model")
        if model not in self.models:
            return error(404, f"The model `{model}` does not exist or you do not have access to it.",
                         code="model_not_found")
        wanted = (body.get("response_format") or {}).get("type")
        if wanted == "json_schema" and self.reject_json_schema:
            return error(500, LLAMA_CPP_JSON_SCHEMA_REFUSAL, "internal_server_error")
        if wanted == "json_object" and self.reject_json_object:
            return error(400, "Invalid parameter: 'response_format' of type 'json_object' is not supported "
                              "with this model.", code="invalid_parameter")
        with self._lock:
            answer = self.answers.popleft() if self.answers else None
        if answer is None:
            answer = self.responder(body) if self.responder else "OK"
        if isinstance(answer, tuple):
            return answer
        content = json.dumps(answer) if isinstance(answer, dict) else str(answer)
        return 200, self.completion(model, content, body), {}

    @staticmethod
    def completion(model, content, body):
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        completion_words = len(content.split())
        return {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_words, "completion_tokens": completion_words,
                      "total_tokens": prompt_words + completion_words},
        }


def _handler_for(standin):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            request = RecordedRequest(self.command, parts.path, parse_qs(parts.query),
                                      {k.lower(): v for k, v in self.headers.items()}, body)
            status, payload, headers = standin.serve(request)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            if not isinstance(payload, bytes):
                self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args):
            pass

    return Handler
