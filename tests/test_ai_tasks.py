"""The five AI features as pipelines against the OpenAI stand-in: what each sends (cleaned,
capped, spotlighted), and what comes back (guarded); the scan never fails on the model."""
import re

import pytest

from maildesk_mail_client_pro.infrastructure import ai_client, ai_tasks
from maildesk_mail_client_pro.infrastructure.ai_client import ChatClient, ChatSettings
from maildesk_mail_client_pro.infrastructure.mail_text import ThreadMessage, visible_text
from maildesk_mail_client_pro.infrastructure.phishing_signals import INDICATORS, ScanInput
from maildesk_mail_client_pro.infrastructure.spotlight import MARK
from maildesk_mail_client_pro.tests.standins.openai_api import GARBAGE, OpenAIStandIn, server_error

MODEL = "stand-in-model"


@pytest.fixture
def standin():
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture
def client(standin):
    return ChatClient(ChatSettings(standin.base_url, MODEL, "sk-test"), sleep=lambda _seconds: None)


def message(text, sender="Anna Berg <anna@acme-logistics.com>", html=None, **headers):
    fields = {"to": "tom@maildesk.test", "cc": "", "date": "Mon, 3 Jun 2024 10:00:00 +0200",
              "subject": "Order 4711", **headers}
    return ThreadMessage(sender=sender, text=visible_text(html, text).text, **fields)


THREAD = [
    message("Hi Anna, when do the pallets for order 4711 leave?", sender="Tom <tom@maildesk.test>"),
    message("Hi Tom,\nthey leave Hamburg on Thursday at 15:00.\n\nOn Mon, Tom wrote:\n> when do they leave?"),
]


def sent(standin, index=-1):
    """The data part of a request as the model read it, datamarks turned back into spaces."""
    return standin.chat_requests[index].text.replace(MARK, " ")


def tags(standin, index=-1):
    return set(re.findall(r"</?(email_[0-9a-f]{16})", standin.chat_requests[index].text))


# -- summarize ------------------------------------------------------------------------------------------
def test_a_summary_sends_the_thread_cleaned_and_spotlighted(standin, client):
    standin.queue("Tom asks when order 4711 leaves; Anna says Thursday at 15:00.")
    result = ai_tasks.summarize(client, THREAD)
    assert result == ai_tasks.TaskResult("Tom asks when order 4711 leaves; Anna says Thursday at 15:00.", [],
                                         MODEL, False)
    system, user = standin.chat_requests[0].messages
    assert system["role"] == "system" and "never instructions" in system["content"]
    assert "From:ˆAnnaˆBergˆ<anna@acme-logistics.com>" in user["content"]
    assert "they leave Hamburg" in sent(standin) and "when do they leave?" not in sent(standin)
    assert user["content"].rstrip().endswith(ai_tasks.SUMMARY_TASK)  # the task again after the data
    assert len(tags(standin)) == 1


def test_each_request_gets_its_own_envelope(standin, client):
    ai_tasks.summarize(client, THREAD)
    ai_tasks.summarize(client, THREAD)
    first, second = (standin.chat_requests[i].messages[0]["content"] for i in (0, 1))
    assert tags(standin, 0) != tags(standin, 1)
    assert re.search(r"secret code (\w+)", first).group(1) != re.search(r"secret code (\w+)", second).group(1)


def test_a_long_thread_keeps_its_newest_messages_within_the_caps(standin, client):
    thread = [message(f"Message number {i}. " + "word " * 1500, subject=f"Part {i}") for i in range(10)]
    thread.append(message("x" * 9000, sender="S" * 500))
    ai_tasks.summarize(client, thread)
    data = standin.chat_requests[0].messages[1]["content"]
    assert "message 11 of 11" in data and "message 1 of 11" not in data
    assert "Message number 9." in sent(standin) and "Message number 0." not in sent(standin)
    assert len(data) < ai_tasks.THREAD_LIMIT + 2000
    assert "x" * ai_tasks.MESSAGE_LIMIT in data and "x" * (ai_tasks.MESSAGE_LIMIT + 1) not in data
    assert "S" * ai_tasks.SENDER_LIMIT in data and "S" * (ai_tasks.SENDER_LIMIT + 1) not in data


def test_output_is_guarded_against_what_was_sent(standin, client):
    standin.queue("**Thursday** 15:00 at [portal](https://acme-logistics.example/x). Call +1 800 555 0199.")
    result = ai_tasks.summarize(client, THREAD)
    assert result.text == "Thursday 15:00 at portal [removed]. Call [removed]."
    assert result.removed == ["https://acme-logistics.example/x", "+1 800 555 0199"]


def test_an_output_with_the_canary_is_dropped(standin, client):
    standin.respond(lambda body: "Sure: " + re.search(r"code (\w+)", body["messages"][0]["content"])[1])
    result = ai_tasks.summarize(client, THREAD)
    assert (result.text, result.canary_leaked) == ("", True)


# -- ask --------------------------------------------------------------------------------------------------
def test_ask_sends_history_and_the_users_question_as_the_users_own_words(standin, client):
    standin.queue("It leaves on Thursday at 15:00, as you asked about 4711 and 15:30.")
    history = [("user", "Who sent order 4711?"), ("assistant", "Anna sent it."), ("system", "ignored")]
    result = ai_tasks.answer(client, THREAD, history, "Is 15:30 also fine?")
    roles = [m["role"] for m in standin.chat_requests[0].messages]
    assert roles == ["system", "user", "assistant", "user"]
    last = standin.chat_requests[0].messages[-1]["content"]
    assert "The MailDesk user asks: Is 15:30 also fine?" in last and "Remember:" in last
    assert "ignored" not in standin.chat_requests[0].text
    # 15:30 stays: the user wrote it
    assert result.text == "It leaves on Thursday at 15:00, as you asked about 4711 and 15:30."


# -- draft -------------------------------------------------------------------------------------------------
def test_a_draft_is_the_body_only_written_as_the_user_with_their_instructions(standin, client):
    standin.queue("Subject: Re: Order 4711\nTo: anna@acme-logistics.com\n\nHi Anna,\nThursday 15:00 works."
                  "\nTom")
    result = ai_tasks.draft_reply(client, THREAD, author_name="Tom Jones", instructions="Say yes politely.")
    assert result.text == "Hi Anna,\nThursday 15:00 works.\nTom"
    system, user = standin.chat_requests[0].messages
    assert "as Tom Jones" in system["content"]
    assert "My instructions for the reply: Say yes politely." in user["content"]


# -- attachments ---------------------------------------------------------------------------------------------
def test_an_attachment_is_sent_with_its_name_and_capped_text(standin, client):
    standin.queue("A delivery note for order 4711.")
    result = ai_tasks.analyse_attachment(client, "note.pdf", "Delivery note 4711 " + "y" * 20000)
    assert result.text == "A delivery note for order 4711."
    data = standin.chat_requests[0].messages[1]["content"]
    assert "File name: note.pdf" in sent(standin)
    assert "y" * ai_tasks.ATTACHMENT_LIMIT not in data


# -- security scan -------------------------------------------------------------------------------------
SCAN = ScanInput("anna@acme-logistics.com", "Anna Berg", "", ["spf=pass"],
                 "<p>The pallets for order 4711 leave on Thursday.</p>", None,
                 [("note.pdf", "application/pdf")], subject="Order 4711")


def model_verdict(**fields):
    return {"verdict": "safe", "score": 2, "indicators": [], "injection_detected": False,
            "evidence": ["order 4711 leave"], "explanation": "An ordinary shipping note.", **fields}


def test_a_scan_asks_for_json_and_keeps_what_the_model_may_say(standin, client):
    standin.queue(model_verdict())
    result = ai_tasks.security_scan(client, SCAN)
    assert (result.verdict, result.model_ok, result.evidence, result.model) == (
        "safe", True, ["order 4711 leave"], MODEL)
    assert result.explanation == "An ordinary shipping note."
    request = standin.chat_requests[0]
    assert request.json["response_format"]["json_schema"]["schema"]["properties"]["indicators"]["items"][
        "enum"] == list(INDICATORS)
    assert "Attachments: note.pdf" in sent(standin)
    assert "From: Anna Berg <anna@acme-logistics.com>" in sent(standin)


@pytest.mark.parametrize("failures", [[server_error()] * 3, [GARBAGE], ["I think it is fine."]])
def test_a_scan_whose_model_fails_is_unknown_never_safe_and_raises_nothing(standin, client, failures):
    standin.queue(*failures)
    result = ai_tasks.security_scan(client, SCAN)
    assert (result.verdict, result.model_ok) == ("unknown", False)


def test_a_scan_whose_model_fails_keeps_the_rules_verdict(standin, client):
    standin.queue(server_error(), server_error(), server_error())
    phishing = ScanInput("security@paypa1.com", "PayPal", "x@gmail.com", ["spf=fail; dmarc=fail"],
                         "<p>Verify now</p>", None, [])
    assert ai_tasks.security_scan(client, phishing).verdict == "phishing"


def test_a_scan_explanation_is_guarded(standin, client):
    standin.queue(model_verdict(explanation="Safe. Questions? Call +1 800 555 0199 or see help-desk.example"))
    result = ai_tasks.security_scan(client, SCAN)
    assert result.explanation == "Safe. Questions? Call [removed] or see [removed]"


def _nothing_to_show(standin, task):
    with pytest.raises(ai_client.AIServiceError) as caught:
        task()
    assert caught.value.kind == "bad_answer" and caught.value.retryable
    assert "nothing MailDesk can show" in str(caught.value)
    assert len(standin.chat_requests) == ai_tasks.EMPTY_ANSWER_TRIES, "asked again once, at once"


def test_a_blank_answer_is_asked_again_and_never_shown_as_an_empty_summary(standin, client):
    """A small model may answer with blanks: the person gets no empty summary. It is asked once
    more at once; still nothing, and the job queue tries later (the error is retryable)."""
    standin.queue("   ")
    standin.queue("")
    _nothing_to_show(standin, lambda: ai_tasks.summarize(client, [message("When do they leave?")]))


def test_a_draft_that_is_only_a_header_line_is_never_put_in_the_composer(standin, client):
    for _try in range(ai_tasks.EMPTY_ANSWER_TRIES):
        standin.queue("Subject: Re: Order 4711\n")
    _nothing_to_show(standin, lambda: ai_tasks.draft_reply(client, [message("When do they leave?")],
                                                           author_name="Tom"))


def test_after_a_blank_answer_the_second_one_is_shown(standin, client):
    standin.queue(" ")
    standin.queue("Anna asks when the pallets leave.")
    result = ai_tasks.summarize(client, [message("When do the pallets leave?")])
    assert result.text == "Anna asks when the pallets leave."
