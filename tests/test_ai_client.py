"""The OpenAI-compatible chat client against a real local HTTP stand-in: what it sends, how it
retries, what it tells an administrator, and how JSON answers fall back between servers."""
import logging
import socket

import pytest

from maildesk_mail_client_pro.infrastructure.ai_client import (
    MAX_BACKOFF,
    AIServiceError,
    ChatClient,
    ChatSettings,
    SchemaMismatch,
    conform,
)
from maildesk_mail_client_pro.tests.standins.openai_api import (
    GARBAGE,
    NO_CHOICES,
    OpenAIStandIn,
    error,
    insufficient_quota,
    rate_limited,
    server_error,
)

MODEL = "stand-in-model"
HELLO = [{"role": "user", "content": "Hello"}]
SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["safe", "phishing"]},
                   "score": {"type": "integer", "minimum": 0, "maximum": 100}},
    "required": ["verdict", "score"],
    "additionalProperties": False,
}


@pytest.fixture
def standin():
    with OpenAIStandIn() as server:
        yield server


def client_for(standin, sleeps=None, **settings):
    options = {"base_url": standin.base_url, "model": MODEL, "api_key": "sk-test", **settings}
    return ChatClient(ChatSettings(**options), sleep=(sleeps if sleeps is not None else []).append)


def failure(call):
    with pytest.raises(AIServiceError) as caught:
        call()
    return caught.value


# -- what is sent ----------------------------------------------------------------------------------
def test_a_chat_sends_the_model_messages_and_bearer_key_and_reads_the_answer(standin):
    standin.queue("Hi there")
    answer = client_for(standin).complete(HELLO, max_tokens=50, temperature=0.1)
    assert (answer.text, answer.model, answer.output_mode) == ("Hi there", MODEL, "text")
    assert set(answer.usage) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    (request,) = standin.chat_requests
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.json == {"model": MODEL, "messages": HELLO, "max_tokens": 50, "temperature": 0.1}


def test_azure_sends_the_key_in_api_key_and_the_api_version_in_the_query(standin):
    client_for(standin, kind="azure", api_version="2024-10-21").complete(HELLO)
    (request,) = standin.chat_requests
    assert request.headers["api-key"] == "sk-test" and "authorization" not in request.headers
    assert request.query == {"api-version": ["2024-10-21"]}


@pytest.mark.parametrize("base_url", ["ftp://ai.example/v1", "file:///etc/passwd", "javascript:alert(1)",
                                      "api.openai.com/v1", ""])
def test_a_base_url_that_is_not_http_is_refused_with_a_sentence(base_url):
    error = failure(lambda: ChatClient(ChatSettings(base_url, MODEL)))
    assert error.kind == "bad_request"
    assert "must be an http:// or https:// address" in str(error)
    assert "Settings > MailDesk > AI providers" in str(error)


def test_a_base_url_with_a_password_in_it_is_refused():
    error = failure(lambda: ChatClient(ChatSettings("https://me:secret@ai.example/v1", MODEL)))
    assert "must not hold a user name or password" in str(error) and "secret" not in str(error)


def test_the_settings_never_show_the_key():
    assert "sk-live-123" not in repr(ChatSettings("https://ai.example/v1", MODEL, api_key="sk-live-123"))


# -- retries --------------------------------------------------------------------------------------
def test_server_errors_are_retried_at_most_max_retries_with_growing_waits(standin):
    standin.queue(server_error(), server_error(502), server_error(503), "never reached")
    sleeps = []
    error = failure(lambda: client_for(standin, sleeps).complete(HELLO))
    assert error.kind == "server" and error.retryable
    assert len(standin.chat_requests) == 3  # the first try and max_retries=2 more
    assert len(sleeps) == 2 and 0 < sleeps[0] < sleeps[1] <= MAX_BACKOFF * 1.25
    assert "had an error (HTTP 503)" in str(error)


def test_a_retry_that_works_gives_the_answer(standin):
    standin.queue(server_error(503), error(408, "Request timed out"), "Second time lucky")
    assert client_for(standin).complete(HELLO).text == "Second time lucky"
    assert len(standin.chat_requests) == 3


def test_retry_after_is_waited_as_asked(standin):
    standin.queue(rate_limited(retry_after=3), "ok")
    sleeps = []
    assert client_for(standin, sleeps).complete(HELLO).text == "ok"
    assert sleeps == [3.0]


def test_a_long_retry_after_is_left_to_the_job_queue(standin):
    standin.queue(rate_limited(retry_after=120), "never reached")
    sleeps = []
    error = failure(lambda: client_for(standin, sleeps).complete(HELLO))
    assert (error.kind, error.retry_after, error.retryable) == ("rate_limited", 120.0, True)
    assert sleeps == [] and len(standin.chat_requests) == 1


def test_rate_limits_that_do_not_lift_end_as_rate_limited(standin):
    standin.queue(rate_limited(1), rate_limited(1), rate_limited(1))
    error = failure(lambda: client_for(standin).complete(HELLO))
    assert error.kind == "rate_limited" and error.retry_after == 1.0
    assert "limiting requests" in str(error)


def test_an_unreachable_provider_is_named_and_retried():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = []
    client = ChatClient(ChatSettings(f"http://127.0.0.1:{port}/v1", MODEL), sleep=sleeps.append)
    error = failure(lambda: client.complete(HELLO))
    assert error.kind == "unreachable" and len(sleeps) == 2
    assert str(error) == (f"MailDesk could not reach the AI provider at 127.0.0.1:{port}. Check the base "
                          "URL and that this server may connect to it (proxy, firewall).")


def test_a_model_slower_than_the_timeout_is_a_timeout():
    with OpenAIStandIn(delay=1.0) as slow:
        error = failure(lambda: client_for(slow, timeout=0.2, max_retries=0).complete(HELLO))
    assert error.kind == "timeout" and error.retryable
    assert "did not answer in time" in str(error)


# -- errors an administrator reads --------------------------------------------------------------------
def test_a_refused_key_says_set_it_again_and_never_shows_the_key(standin, caplog):
    caplog.set_level(logging.DEBUG)
    key = "sk-wrong-0123456789abcdef"
    error = failure(lambda: client_for(standin, api_key=key).complete(HELLO))
    assert (error.kind, error.retryable) == ("auth", False)
    assert str(error) == ("The AI provider refused the API key. Set the key again in Settings > MailDesk > "
                          "AI providers.")
    assert len(standin.chat_requests) == 1
    for text in (str(error), repr(error), caplog.text):
        assert key not in text and "cdef" not in text  # the provider's message quotes the key's end


def test_a_used_up_quota_says_so_and_is_not_retried(standin):
    standin.queue(insufficient_quota())
    error = failure(lambda: client_for(standin).complete(HELLO))
    assert (error.kind, error.retryable) == ("quota", False) and len(standin.chat_requests) == 1
    assert "quota or billing limit" in str(error)


def test_an_unknown_model_is_named(standin):
    error = failure(lambda: client_for(standin, model="gpt-nope").complete(HELLO))
    assert error.kind == "model" and "'gpt-nope'" in str(error)


def test_a_base_url_without_the_api_path_says_where_to_look(standin):
    root = standin.base_url.removesuffix("/v1")
    error = failure(lambda: ChatClient(ChatSettings(root, MODEL, "sk-test")).complete(HELLO))
    assert error.kind == "bad_request" and "it usually ends in /v1" in str(error)


NO_TEXT = (200, {"choices": [{"message": {"content": None}}]}, {})


@pytest.mark.parametrize("answer", [GARBAGE, NO_CHOICES, NO_TEXT])
def test_an_answer_that_is_no_chat_completion_is_a_bad_answer_and_not_retried(standin, answer):
    standin.queue(answer)
    error = failure(lambda: client_for(standin).complete(HELLO))
    assert error.kind == "bad_answer" and len(standin.chat_requests) == 1
    assert "OpenAI-compatible API" in str(error)


def test_errors_and_logs_never_hold_mail_text(standin, caplog):
    caplog.set_level(logging.DEBUG)
    secret = [{"role": "user", "content": "CONFIDENTIAL-MERGER-PLAN of ACME"}]
    standin.queue(server_error(), server_error(), server_error(), error(400, "bad: CONFIDENTIAL-MERGER-PLAN"))
    client = client_for(standin)
    texts = [str(failure(lambda: client.complete(secret))), str(failure(lambda: client.complete(secret)))]
    assert all("CONFIDENTIAL" not in text for text in [*texts, caplog.text])


def test_a_model_that_wants_max_completion_tokens_gets_it(standin):
    standin.queue(error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                             "'max_completion_tokens' instead.", code="unsupported_parameter"), "ok", "ok")
    client = client_for(standin)
    client.complete(HELLO, max_tokens=42)
    client.complete(HELLO, max_tokens=42)
    first, second, third = (r.json for r in standin.chat_requests)
    assert first["max_tokens"] == 42 and second["max_completion_tokens"] == 42 and "max_tokens" not in third


def test_test_connection_says_which_model_answered(standin):
    assert client_for(standin).test_connection().startswith(f"Connected: {MODEL} answered in ")


# -- JSON answers -----------------------------------------------------------------------------------
def test_json_is_asked_with_a_strict_json_schema_first(standin):
    standin.queue({"verdict": "safe", "score": 7})
    value, answer = client_for(standin).complete_json(HELLO, SCHEMA, name="scan result!")
    assert value == {"verdict": "safe", "score": 7} and answer.output_mode == "json_schema"
    (request,) = standin.chat_requests
    assert request.json["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "scan_result_", "schema": SCHEMA, "strict": True}}
    assert "JSON schema" in request.messages[-1]["content"]


def test_json_falls_back_from_json_schema_to_json_object_to_the_prompt_and_remembers(standin):
    standin.reject_json_schema = standin.reject_json_object = True
    standin.queue({"verdict": "phishing", "score": 90}, {"verdict": "safe", "score": 1})
    sleeps = []
    client = client_for(standin, sleeps)
    value, answer = client.complete_json(HELLO, SCHEMA, name="scan")
    assert value["verdict"] == "phishing" and answer.output_mode == "prompt"
    formats = [(r.json.get("response_format") or {}).get("type") for r in standin.chat_requests]
    assert formats == ["json_schema", "json_object", None] and sleeps == []  # refusals are not retried
    client.complete_json(HELLO, SCHEMA, name="scan")
    assert len(standin.chat_requests) == 4 and "response_format" not in standin.chat_requests[-1].json


def test_llama_cpp_refusing_json_schema_falls_back_to_json_object_with_the_schema(standin):
    standin.reject_json_schema = True
    standin.queue({"verdict": "safe", "score": 0})
    client = client_for(standin)
    _value, answer = client.complete_json(HELLO, SCHEMA, name="scan")
    assert answer.output_mode == client.json_mode == "json_object"
    assert standin.chat_requests[-1].json["response_format"] == {"type": "json_object", "schema": SCHEMA}


@pytest.mark.parametrize("text", ['```json\n{"verdict": "safe", "score": 3}\n```',
                                  'Sure! Here it is: {"verdict": "safe", "score": 3} Hope it helps.'])
def test_json_in_fences_or_chatter_is_read(standin, text):
    standin.queue(text)
    assert client_for(standin).complete_json(HELLO, SCHEMA, name="scan")[0] == {"verdict": "safe", "score": 3}


@pytest.mark.parametrize(("text", "why"), [
    ("I think it is safe.", "it is not JSON"),
    ('{"verdict": "maybe", "score": 3}', "answer.verdict is not one of the allowed values"),
    ('{"verdict": "safe"}', "answer.score is missing"),
    ('{"verdict": "safe", "score": 300}', "answer.score is above 100"),
])
def test_json_that_does_not_fit_the_schema_is_a_bad_answer_that_names_the_field(standin, text, why):
    standin.queue(text)
    error = failure(lambda: client_for(standin).complete_json(HELLO, SCHEMA, name="scan"))
    assert error.kind == "bad_answer" and why in str(error) and "maybe" not in str(error)


def test_conform_trims_what_is_too_long_and_drops_what_is_not_asked_for():
    schema = {"type": "object", "additionalProperties": False, "properties": {
        "words": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}},
        "count": {"type": "integer"}, "note": {"type": ["string", "null"]}}}
    value = {"words": ["alpha", "beta", "gamma"], "count": 4.0, "note": None, "extra": "dropped"}
    assert conform(value, schema) == {"words": ["alp", "bet"], "count": 4, "note": None}
    with pytest.raises(SchemaMismatch, match="answer.count is not of type integer"):
        conform({"count": True}, schema)
