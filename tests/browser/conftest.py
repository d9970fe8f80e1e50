"""Browser tests: the real demo server in a subprocess, driven by Debian's Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp
import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = (
    Path(os.environ.get("MOVILIDAD_SCREENSHOT_DIR", ""))
    if os.environ.get("MOVILIDAD_SCREENSHOT_DIR")
    else None
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message the demo
    sends."""

    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass(frozen=True)
class Demo:
    url: str
    log: Path
    mailbox: Mailbox

    @property
    def sms_outbox(self) -> Path:
        """Where the demo's file-backed SMS provider writes each message."""
        return self.log.parent / "sms-outbox.jsonl"

    def password(self, username: str) -> str:
        """The demo login's password, as the demo printed it."""
        match = re.search(rf"{re.escape(username)}\s*│\s*(\S+)\s*│", self.log.read_text())
        assert match, f"no password printed for {username}"
        return match.group(1)


@pytest.fixture(scope="session")
def demo(demo_url: str, mailbox: Mailbox) -> Demo:
    return Demo(demo_url, Path(os.environ["MOVILIDAD_DEMO_LOG"]), mailbox)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[str]:
    """Start ``movilidad demo`` on a free port, sending its e-mail to ``mailbox``, and
    wait until it answers /healthz."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVILIDAD_")}
    env.update({"MOVILIDAD_MAIL_BACKEND": "smtp", "MOVILIDAD_SMTP_HOST": "127.0.0.1",
                "MOVILIDAD_SMTP_PORT": str(mailbox.port)})  # fmt: skip
    log = (data_dir / "demo.log").open("w")
    os.environ["MOVILIDAD_DEMO_LOG"] = str(data_dir / "demo.log")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "movilidad", "demo", "--port", str(port),
            "--data-dir", str(data_dir), "--households", "30",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError((data_dir / "demo.log").read_text())
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the demo did not answer within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def assert_accessible(page: Page, name: str) -> None:
    """Run axe-core (bundled by axe-playwright-python) on the page; fail on any
    violation, naming the rule and the elements."""
    results = Axe().run(page)
    problems = [
        f"{v['id']} ({v.get('impact')}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
    assert not problems, f"{name}: " + "; ".join(problems)


@dataclass
class Authenticator:
    """The authenticator app of every demo account signed in during the browser tests:
    the TOTP secret shown at enrolment, and the last time step used (a code is
    accepted once, within one step either side of now)."""

    secrets: dict[str, str] = field(default_factory=dict)
    last_step: dict[str, int] = field(default_factory=dict)

    def code(self, username: str) -> str:
        totp = pyotp.TOTP(self.secrets[username])
        step = int(time.time()) // totp.interval
        wanted = max(step, self.last_step.get(username, -1) + 1)
        if wanted > step + 1:
            time.sleep((wanted - 1) * totp.interval - time.time() + 0.5)
            step = int(time.time()) // totp.interval
        self.last_step[username] = wanted
        return totp.generate_otp(wanted)


@pytest.fixture(scope="session")
def authenticator() -> Authenticator:
    return Authenticator()


def staff_sign_in(page: Page, demo: Demo, authenticator: Authenticator, username: str,
                  shot: str | None = None) -> None:  # fmt: skip
    """Sign in through the forms; enrol the second factor on first use."""
    page.goto(f"{demo.url}/staff/sign-in")
    page.fill("#username", username)
    page.fill("#password", demo.password(username))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/staff/two-factor**")
    secret = page.locator("input[name=secret]")
    if secret.count():
        authenticator.secrets[username] = secret.get_attribute("value") or ""
        if shot:
            screenshot(page, shot)
    page.fill("#code", authenticator.code(username))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(lambda url: "/staff/two-factor" not in url)


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
