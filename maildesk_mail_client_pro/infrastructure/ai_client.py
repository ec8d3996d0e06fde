"""OpenAI-compatible chat completions over plain ``requests``: one code path for OpenAI, Azure
OpenAI, Gemini's and Anthropic's OpenAI endpoints, Grok, DeepSeek and self-hosted servers
(Ollama, vLLM, LM Studio, llama.cpp).

Errors say what an administrator should do, and never hold the API key, the request body or
any mail text (a provider's own message can quote the key, so it is never passed on). JSON
answers fall back from ``json_schema`` to ``json_object`` to a plain prompt, because servers
differ (llama.cpp answers ``json_schema`` with HTTP 500), and are checked here against the
schema whichever way they came.

No Odoo import: tested without Odoo (``tests/test_ai_client.py``).
"""
import email.utils
import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ReadTimeoutError

_logger = logging.getLogger(__name__)

KINDS = ("openai", "azure", "gemini", "anthropic", "grok", "deepseek", "custom")
ERROR_KINDS = ("unreachable", "timeout", "auth", "quota", "rate_limited", "model", "bad_request", "server",
               "bad_answer")
JSON_MODES = ("json_schema", "json_object", "prompt")
# Newer models refuse some parameters: a 400 naming the word changes the request once, per client.
ADAPTATIONS = (("max_completion_tokens", "max_completion_tokens"), ("temperature", "no_temperature"))
AZURE_API_VERSION = "2024-10-21"  # Azure OpenAI's generally available version when none is set

FIRST_BACKOFF = 0.5  # seconds before the first retry, doubled per retry, with jitter
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER_WAIT = 10.0  # a longer Retry-After is left to the job queue (rate_limited)
MAX_RETRY_AFTER = 86_400.0
MAX_ANSWER_BYTES = 4_000_000  # an answer larger than this is no chat completion
MAX_ANSWER_CHARS = 20_000
SETTINGS_PLACE = "Settings > MailDesk > AI providers"


class AIServiceError(Exception):
    """A call to the AI provider failed. ``kind``: one of ERROR_KINDS; ``retryable``: trying
    again later may work; ``retry_after``: the seconds the provider asked to wait, if any."""

    def __init__(self, kind, message, *, retryable=False, retry_after=None, status=None, code=""):
        super().__init__(message)
        self.kind, self.retryable, self.retry_after = kind, retryable, retry_after
        self.status, self.code = status, code


def nothing_to_show():
    """The model wrote nothing usable: a sampling model may do better on the next try."""
    return AIServiceError("bad_answer", "The AI model answered with nothing MailDesk can show. "
                          "Try again; a larger model answers more reliably.", retryable=True,
                          status=200)


class _FormatRefused(Exception):
    """The server does not take this ``response_format``: the next JSON mode is tried."""


class _Adapt(Exception):
    """The model wants a request parameter changed (``max_completion_tokens``, no temperature)."""

    def __init__(self, adaptation):
        super().__init__(adaptation)
        self.adaptation = adaptation


class SchemaMismatch(ValueError):
    pass


@dataclass
class ChatSettings:
    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    kind: str = "openai"
    timeout: float = 60.0
    connect_timeout: float = 5.0
    max_retries: int = 2
    api_version: str = ""


@dataclass
class ChatAnswer:
    text: str
    model: str
    usage: dict
    output_mode: str


# -- small helpers -------------------------------------------------------------------------------
def _identifier(value, limit=60):
    """A provider's error code or type, kept only as a harmless identifier."""
    return re.sub(r"[^\w.-]", "", str(value or ""))[:limit]


def retry_after_seconds(headers):
    """The wait a provider asked for (``retry-after-ms`` or ``Retry-After``), or None."""
    millis = headers.get("retry-after-ms")
    try:
        if millis:
            return min(max(float(millis) / 1000, 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return None if when is None else min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


def _error_fields(raw):
    """(message, code, type) of a provider's error body, lower-cased; never shown to anyone."""
    text = raw.decode("utf-8", "replace")[:4000]
    try:
        body = json.loads(text)
    except ValueError:
        return text.lower(), "", ""
    if isinstance(body, list) and body:  # Gemini wraps its error in a list
        body = body[0]
    error = body.get("error", body) if isinstance(body, dict) else body
    if not isinstance(error, dict):
        return str(error).lower(), "", ""
    message = error.get("message") or error.get("detail") or json.dumps(error)
    code, kind = _identifier(error.get("code")), _identifier(error.get("type"))
    return str(message).lower(), code.lower(), kind.lower()


# -- JSON answers --------------------------------------------------------------------------------
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*(.*?)\s*```\s*$", re.S)
_JSON_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}


def _type_ok(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES.get(name, object))


def conform(value, schema, path="answer"):
    """``value`` checked against a JSON-schema subset (type, enum, properties, required,
    additionalProperties, items, minimum, maximum, maxLength, maxItems) and returned cleaned:
    keys the schema forbids dropped, over-long strings and lists trimmed (a model's verbosity
    is no reason to lose its answer). Raises SchemaMismatch naming the path, never the value."""
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_type_ok(value, name) for name in names):
            raise SchemaMismatch(f"{path} is not of type {'/'.join(names)}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaMismatch(f"{path} is not one of the allowed values")
    if isinstance(value, float) and "integer" in (types if isinstance(types, list) else [types]):
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaMismatch(f"{path} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaMismatch(f"{path} is above {schema['maximum']}")
    if isinstance(value, str) and "maxLength" in schema:
        value = value[:schema["maxLength"]]
    if isinstance(value, list):
        value = value[:schema.get("maxItems", len(value))]
        if "items" in schema:
            value = [conform(item, schema["items"], f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                raise SchemaMismatch(f"{path}.{name} is missing")
        cleaned = {}
        for name, item in value.items():
            if name in properties:
                cleaned[name] = conform(item, properties[name], f"{path}.{name}")
            elif schema.get("additionalProperties", True) is not False:
                cleaned[name] = item
        value = cleaned
    return value


def parse_json_answer(text, schema):
    """The JSON object in a model's answer (```json fences and chatter around it allowed),
    conformed to ``schema``; AIServiceError(bad_answer) when there is none."""
    text = (text or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        text = text[start:end + 1] if 0 <= start < end else text
    try:
        value = json.loads(text)
        return conform(value, schema)
    except ValueError as exc:  # json.JSONDecodeError and SchemaMismatch are ValueErrors
        why = str(exc) if isinstance(exc, SchemaMismatch) else "it is not JSON"
        raise AIServiceError(
            "bad_answer",
            f"The AI model's answer was not the JSON MailDesk asked for ({why}). Try again, or "
            "choose a model that can answer in JSON.",
        ) from None


# -- the client ----------------------------------------------------------------------------------
class ChatClient:
    """Chat completions against one provider. ``session``: a ``requests.Session`` to use (one
    is made otherwise); ``sleep``: how to wait between retries (tests record the waits)."""

    def __init__(self, settings, session=None, *, sleep=time.sleep):
        self.settings = settings
        self._check_settings(settings)
        parts = urlsplit(settings.base_url.strip())
        self.host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = settings.base_url.strip().rstrip("/") + "/chat/completions"
        self.session = session or requests.Session()
        self.sleep = sleep
        self.json_mode = JSON_MODES[0]  # the JSON mode that last worked with this provider
        self._adaptations = set()

    @staticmethod
    def _check_settings(settings):
        def refuse(sentence):
            raise AIServiceError("bad_request", f"{sentence} Set it in {SETTINGS_PLACE}.")
        try:
            parts = urlsplit((settings.base_url or "").strip())
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            refuse("The AI provider's base URL is not a valid address.")
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            refuse("The AI provider's base URL must be an http:// or https:// address "
                   "(for example https://api.openai.com/v1).")
        if parts.username or parts.password:
            refuse("The AI provider's base URL must not hold a user name or password; the key "
                   "goes in the API key field.")
        if settings.kind not in KINDS:
            refuse(f"The AI provider kind must be one of: {', '.join(KINDS)}.")
        if not (settings.model or "").strip():
            refuse("No model is set for the AI provider.")

    # -- requests --------------------------------------------------------------------------
    def _headers(self):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.api_key:
            if self.settings.kind == "azure":
                headers["api-key"] = self.settings.api_key
            else:
                headers["Authorization"] = f"Bearer {self.settings.api_key}"
        return headers

    def _params(self):
        if self.settings.kind == "azure":
            return {"api-version": self.settings.api_version or AZURE_API_VERSION}
        return {"api-version": self.settings.api_version} if self.settings.api_version else {}

    def _body(self, messages, max_tokens, temperature):
        body = {"model": self.settings.model, "messages": messages}
        tokens_key = "max_completion_tokens" if "max_completion_tokens" in self._adaptations else "max_tokens"
        body[tokens_key] = max_tokens
        if "no_temperature" not in self._adaptations:
            body["temperature"] = temperature
        return body

    def _error(self, kind, status=None, code="", retry_after=None, *, why="", sentence=None):
        """The AIServiceError of ``kind``; ``sentence`` replaces the usual one, ``why`` says
        what was wrong with an answer."""
        host, model = self.host, self.settings.model[:100]
        http = f"HTTP {status}" if status else "no answer"
        code_note = f", {code}" if code else ""
        sentences = {
            "unreachable": f"MailDesk could not reach the AI provider at {host}. Check the base URL and "
                           "that this server may connect to it (proxy, firewall).",
            "timeout": f"The AI provider at {host} did not answer in time. Try again later, or choose "
                       "a faster model.",
            "auth": f"The AI provider refused the API key. Set the key again in {SETTINGS_PLACE}.",
            "quota": "The AI provider says the quota or billing limit of this API key is used up. "
                     "Check the plan and billing at the provider, then try again.",
            "rate_limited": f"The AI provider at {host} is limiting requests right now ({http}). "
                            "MailDesk will try again later.",
            "model": f"The AI provider does not offer the model '{model}'. Choose one of its models in "
                     f"{SETTINGS_PLACE}.",
            "bad_request": f"The AI provider at {host} refused the request ({http}{code_note}). Check the "
                           f"provider settings (base URL, model, API version) in {SETTINGS_PLACE}.",
            "server": f"The AI provider at {host} had an error ({http}). Try again in a few minutes.",
            "bad_answer": f"The AI provider at {host} sent an answer MailDesk cannot read ({why}). "
                          "Check that the base URL points to an OpenAI-compatible API (it usually ends "
                          "in /v1).",
        }
        sentence = sentence or sentences[kind]
        retryable = kind in ("unreachable", "timeout", "rate_limited", "server")
        return AIServiceError(kind, sentence, retryable=retryable, retry_after=retry_after, status=status,
                              code=code)

    def _classify(self, status, raw, headers, format_mode):
        """The AIServiceError for a refused call (or _FormatRefused / _Adapt to act on)."""
        message, code, kind = _error_fields(raw)
        said = " ".join((message, code, kind))
        retry_after = retry_after_seconds(headers)
        if format_mode in ("json_schema", "json_object") and status not in (401, 402, 403, 429) and re.search(
                r"response_format|json_schema|json schema|json_object|structured output|grammar", said):
            raise _FormatRefused(format_mode)
        for word, adaptation in ADAPTATIONS:
            if status == 400 and word in said and adaptation not in self._adaptations:
                raise _Adapt(adaptation)
        # a 429 is a quota only when it says so plainly: Gemini words its per-minute limit "quota"
        out_of_money = re.search(r"insufficient_quota|billing|insufficient balance|credit balance", said)
        if status == 402 or (out_of_money and status in (400, 403, 429)) or (
                status in (400, 403) and "quota" in said):
            return self._error("quota", status, code)
        if status in (401, 403):
            return self._error("auth", status, code)
        if status == 429:
            return self._error("rate_limited", status, code, retry_after)
        if code == "model_not_found" or (status in (400, 404, 422) and re.search(
                r"\bmodel\b.{0,80}(does not exist|not found|unknown|not supported|invalid)|unknown model|"
                r"invalid model|no such model", said)):
            return self._error("model", status, code)
        if status == 404:
            return self._error("bad_request", status, code, sentence=(
                f"The AI provider at {self.host} has no chat API at this base URL (HTTP 404). Check the "
                f"base URL in {SETTINGS_PLACE}: it usually ends in /v1."))
        if "context_length" in said or "maximum context" in said or status == 413:
            return self._error("bad_request", status, code, sentence=(
                f"The text is too long for the model '{self.settings.model[:100]}'. Choose a model with "
                f"a larger context window in {SETTINGS_PLACE}."))
        if status == 408:
            return self._error("timeout", status, code, retry_after)
        if status == 409 or status >= 500:
            return self._error("server", status, code, retry_after)
        return self._error("bad_request", status, code)

    def _read(self, response):
        """The body, bounded in size and in time (a server trickling bytes gets no longer than
        twice the timeout)."""
        deadline = time.monotonic() + 2 * self.settings.timeout
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise self._error("bad_answer", response.status_code, why="the answer is far too large")
            if time.monotonic() > deadline:
                raise self._error("timeout", response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _attempt(self, body, format_mode):
        """One HTTP call: the answer's JSON, or an exception saying what went wrong."""
        timeout = (self.settings.connect_timeout, self.settings.timeout)
        try:
            with self.session.post(self.url, json=body, headers=self._headers(), params=self._params(),
                                   timeout=timeout, stream=True, allow_redirects=False) as response:
                raw = self._read(response)
                status, headers = response.status_code, response.headers
        except requests.exceptions.ConnectTimeout:
            raise self._error("unreachable")
        except (requests.exceptions.ReadTimeout, requests.exceptions.Timeout):
            raise self._error("timeout")
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            # a read timeout inside the body comes wrapped in a ConnectionError
            timed_out = any(isinstance(arg, ReadTimeoutError) for arg in exc.args)
            raise self._error("timeout" if timed_out else "unreachable")
        except requests.exceptions.RequestException:
            raise self._error("unreachable")
        if status >= 400:
            raise self._classify(status, raw, headers, format_mode)
        if status != 200:
            raise self._error("bad_answer", status, why=f"HTTP {status} instead of an answer")
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise self._error("bad_answer", status, why="the answer is not JSON")
        return data

    def _backoff(self, retry):
        return min(MAX_BACKOFF, FIRST_BACKOFF * 2**retry) * random.uniform(0.75, 1.25)

    def _post(self, messages, max_tokens, temperature, response_format=None, format_mode=None):
        """One chat call with its retries (at most ``max_retries``); the answer's JSON."""
        retry = 0
        while True:
            body = self._body(messages, max_tokens, temperature)
            if response_format:
                body["response_format"] = response_format
            try:
                return self._attempt(body, format_mode)
            except _Adapt as adapt:
                _logger.info("AI provider at %s: the model wants %s; asking again", self.host,
                             adapt.adaptation)
                self._adaptations.add(adapt.adaptation)
                continue
            except AIServiceError as exc:
                error = exc
            if not error.retryable or retry >= self.settings.max_retries:
                raise error
            if error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER_WAIT:
                raise self._error("rate_limited", error.status, error.code, error.retry_after)
            wait = error.retry_after if error.retry_after is not None else self._backoff(retry)
            retry += 1
            _logger.info("AI provider at %s: %s (%s); retry %d of %d in %.1f s", self.host, error.kind,
                         error.status or "no answer", retry, self.settings.max_retries, wait)
            self.sleep(wait)

    def _answer(self, data, mode, allow_empty=False):
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise self._error("bad_answer", 200, why="it holds no choices")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if choices[0].get("finish_reason") == "content_filter" and not content:
            raise self._error("bad_answer", 200, why="the provider's content filter withheld the answer")
        if not isinstance(content, str):
            raise self._error("bad_answer", 200, why="the answer has no text")
        if not content.strip() and not allow_empty:
            # The API answered properly and the model wrote nothing: a sampling model may do
            # better on the next try, so the job queue tries again.
            raise nothing_to_show()
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        model = data.get("model") if isinstance(data.get("model"), str) and data.get("model") else None
        return ChatAnswer(
            text=content[:MAX_ANSWER_CHARS],
            model=(model or self.settings.model)[:200],
            usage={k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)},
            output_mode=mode,
        )

    # -- the public calls ------------------------------------------------------------------
    def complete(self, messages, *, max_tokens=512, temperature=0.2):
        return self._answer(self._post(messages, max_tokens, temperature), "text")

    def complete_json(self, messages, schema, *, name, max_tokens=512):
        """(the answer's JSON object conformed to ``schema``, the ChatAnswer)."""
        name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "answer"
        instruction = ("Answer with one JSON object only, and no other text, matching this JSON schema: "
                       + json.dumps(schema, separators=(",", ":")))
        messages = [dict(m) for m in messages]
        messages[-1]["content"] = f"{messages[-1]['content']}\n\n{instruction}"
        formats = {
            "json_schema": {"type": "json_schema",
                            "json_schema": {"name": name, "schema": schema, "strict": True}},
            "json_object": {"type": "json_object", "schema": schema},
            "prompt": None,
        }
        for mode in JSON_MODES[JSON_MODES.index(self.json_mode):]:
            try:
                data = self._post(messages, max_tokens, 0.0, formats[mode], format_mode=mode)
            except _FormatRefused:
                _logger.info("AI provider at %s does not take response_format %s; trying the next way",
                             self.host, mode)
                continue
            self.json_mode = mode
            answer = self._answer(data, mode)
            return parse_json_answer(answer.text, schema), answer
        raise AssertionError("the prompt mode sends no response_format to refuse")

    def test_connection(self):
        """One tiny chat; a sentence for the administrator saying it worked."""
        started = time.monotonic()
        data = self._post([{"role": "user", "content": "Reply with the single word: OK"}], 16, 0.0)
        answer = self._answer(data, "text", allow_empty=True)
        return f"Connected: {answer.model} answered in {time.monotonic() - started:.1f} s."
