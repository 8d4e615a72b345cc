"""The optional LLM adapter against a fake OpenAI-compatible endpoint on 127.0.0.1 (http.server in a thread):
the request it sends, the reply it reads, timeouts and errors; with it off, nothing calls out."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shuping.meetings.tests.conftest import meeting_setup  # noqa: F401 (fixture)
from shuping.speeches import llm
from shuping.speeches.tests.test_drafting import drafting_setup  # noqa: F401 (fixture)


class FakeEndpoint:
    """Records each request; answers with `reply` (a dict, or raw bytes), `status`, after `delay` seconds."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply: dict | bytes = {"choices": [{"message": {"role": "assistant", "content": "润色后的点评。"}}]}
        self.status = 200
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                time.sleep(fake.delay)
                data = fake.reply if isinstance(fake.reply, bytes) else json.dumps(fake.reply).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(settings):
    fake = FakeEndpoint()
    settings.SHUPING_LLM_BASE_URL = fake.url
    settings.SHUPING_LLM_MODEL = "qwen-intranet"
    settings.SHUPING_LLM_API_KEY = "k-123"
    settings.SHUPING_LLM_TIMEOUT = 1
    yield fake
    fake.close()


def test_the_request_shape_and_the_reply(endpoint):
    assert llm.polish("一、亮点\n新建党支部3个。") == "润色后的点评。"
    (req,) = endpoint.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer k-123"
    assert req["headers"]["Content-Type"] == "application/json"
    body = req["json"]
    assert body["model"] == "qwen-intranet"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == "一、亮点\n新建党支部3个。"
    assert "不得增加、删除或改动任何事实" in body["messages"][0]["content"]


def test_no_key_no_authorization_header(endpoint, settings):
    settings.SHUPING_LLM_API_KEY = ""
    llm.polish("x")
    assert "Authorization" not in endpoint.requests[0]["headers"]


@pytest.mark.parametrize(("reply", "status", "message"), [
    ({"choices": []}, 200, "格式无法识别"),
    ({"choices": [{"message": {"content": "  "}}]}, 200, "没有返回内容"),
    (b"<html>gateway</html>", 200, "不是有效的 JSON"),
    ({"error": "overloaded"}, 503, "HTTP 503"),
])
def test_bad_replies_raise_a_clear_message(endpoint, reply, status, message):
    endpoint.reply, endpoint.status = reply, status
    with pytest.raises(llm.PolishError, match=message):
        llm.polish("x")


def test_a_slow_endpoint_times_out(endpoint):
    endpoint.delay = 2
    started = time.monotonic()
    with pytest.raises(llm.PolishError, match="1 秒内没有响应"):
        llm.polish("x")
    assert time.monotonic() - started < 1.9


def test_a_closed_port_says_it_cannot_connect(settings):
    fake = FakeEndpoint()
    url = fake.url
    fake.close()
    settings.SHUPING_LLM_BASE_URL = url
    with pytest.raises(llm.PolishError, match="无法连接润色服务"):
        llm.polish("x")


def test_off_by_default_and_nothing_calls_out(settings, monkeypatch):
    settings.SHUPING_LLM_BASE_URL = ""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no request may leave with the adapter off")

    monkeypatch.setattr(llm.urllib.request, "urlopen", refuse)
    assert not llm.enabled()
    with pytest.raises(llm.PolishError, match="未配置"):
        llm.polish("x")


# --- on the draft page -------------------------------------------------------------------------------

def test_the_page_shows_the_polished_text_beside_the_unchanged_draft(drafting_setup, endpoint, users,  # noqa: F811
                                                                      client_for):
    s = drafting_setup
    c = client_for(users.chair)
    page = c.get(f"/speeches/draft/{s.east.pk}/")
    html = page.content.decode()
    assert 'data-testid="polish"' in html and 'id="polished"' in html
    r = c.post(f"/speeches/draft/{s.east.pk}/polish/", {"text": page.context["text"]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "润色后的点评。" in r.content.decode()
    assert endpoint.requests[0]["json"]["messages"][1]["content"] == page.context["text"]
    # The draft itself is unchanged on the next load.
    assert c.get(f"/speeches/draft/{s.east.pk}/").context["text"] == page.context["text"]


def test_an_error_keeps_the_draft_and_says_why(drafting_setup, endpoint, users, client_for):  # noqa: F811
    endpoint.status, endpoint.reply = 500, {"error": "x"}
    r = client_for(users.organiser).post(f"/speeches/draft/{drafting_setup.east.pk}/polish/", {"text": "草稿"})
    assert r.status_code == 200 and 'data-testid="polish-error"' in r.content.decode()
    assert "HTTP 500" in r.content.decode()


def test_with_it_off_the_page_has_no_button_and_posting_calls_nothing(drafting_setup, users, client_for,  # noqa: F811
                                                                       settings, monkeypatch):
    settings.SHUPING_LLM_BASE_URL = ""
    monkeypatch.setattr(llm.urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(AssertionError()))
    c = client_for(users.chair)
    assert 'data-testid="polish"' not in c.get(f"/speeches/draft/{drafting_setup.east.pk}/").content.decode()
    r = c.post(f"/speeches/draft/{drafting_setup.east.pk}/polish/", {"text": "草稿"})
    assert "未配置润色服务" in r.content.decode()


@pytest.mark.parametrize("who", ["observer", "judge", "reporter", "nobody"])
def test_polish_is_for_speech_editors_only(drafting_setup, endpoint, users, client_for, who):  # noqa: F811
    r = client_for(getattr(users, who)).post(f"/speeches/draft/{drafting_setup.east.pk}/polish/", {"text": "x"})
    assert r.status_code == 403 and not endpoint.requests


def test_the_chair_may_insert_the_polished_text(drafting_setup, endpoint, users, client_for):  # noqa: F811
    html = client_for(users.chair).post(f"/speeches/draft/{drafting_setup.east.pk}/polish/", {"text": "x"}
                                        ).content.decode()
    assert 'data-testid="insert-polished"' in html and 'value="润色后的点评。"' in html
    html = client_for(users.organiser).post(f"/speeches/draft/{drafting_setup.east.pk}/polish/", {"text": "x"}
                                            ).content.decode()
    assert "润色后的点评。" in html and 'data-testid="insert-polished"' not in html
