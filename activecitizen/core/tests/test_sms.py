"""SMS backends: the file one tests read, and the HTTP gateway, against a real local server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from activecitizen.core.sms import SmsDeliveryError, send_sms


def test_file_backend_appends_one_json_line_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE = str(tmp_path / "sms" / "out.jsonl")
    send_sms(phone="+79161234567", text="Код: 123456", code="123456")
    send_sms(phone="+79167654321", text="Привет")
    lines = (tmp_path / "sms" / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"phone": "+79161234567", "text": "Код: 123456", "code": "123456"},
        {"phone": "+79167654321", "text": "Привет", "code": None},
    ]


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append((self.headers["Authorization"], json.loads(self.rfile.read(length))))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    _Gateway.received = []
    _Gateway.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send", _Gateway
    server.shutdown()


def test_http_backend_posts_to_the_gateway(settings, gateway):
    url, handler = gateway
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = url
    settings.SMS_HTTP_TOKEN = "gw-token"
    send_sms(phone="+79161234567", text="Код: 654321", code="654321")
    assert handler.received == [
        (
            "Bearer gw-token",
            {"to": "+79161234567", "text": "Код: 654321", "sender": "ActiveCitizen"},
        )
    ]


def test_http_backend_reports_a_failing_gateway(settings, gateway):
    url, handler = gateway
    handler.status = 503
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = url
    with pytest.raises(SmsDeliveryError):
        send_sms(phone="+79161234567", text="x")


def test_http_backend_refuses_a_non_http_url(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "file:///etc/passwd"
    with pytest.raises(SmsDeliveryError):
        send_sms(phone="+79161234567", text="x")
