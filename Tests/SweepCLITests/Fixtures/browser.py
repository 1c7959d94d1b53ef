"""A real headless Chromium driven over its DevTools protocol pipe (Python's standard library only).

    python3 browser.py URL [--width 1280] [--height 900] [--sample JS] [--until JS] [--timeout S] [--screenshot FILE]
                       [--clip PIXELS [--top PIXELS]] [--remove FILE]

Opens URL in a new tab; evaluates --sample once the page has loaded and then every quarter second
until --until is true or --timeout seconds pass; prints one JSON line: {"first": the first sample,
"last": the last, "reached": whether --until became true, "errors": exceptions and console errors
the page raised}. --screenshot writes a PNG of the whole page at --width.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.mkdtemp(prefix="sweep-chromium-")
        to_chromium, self.commands = os.pipe()
        self.replies, from_chromium = os.pipe()

        def wire():  # Chromium reads commands on fd 3 and writes replies on fd 4.
            # Through fresh numbers first: a pipe may already be 3 or 4, and dup2 onto itself would
            # leave it close-on-exec.
            commands, replies = os.dup(to_chromium), os.dup(from_chromium)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--user-data-dir=" + self.profile, f"--window-size={width},{height}", "about:blank"],
            preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chromium)
        os.close(from_chromium)
        self.buffer, self.next_id, self.events, self.session = b"", 0, [], None
        self.errors = []

    def send(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.note(reply)
        raise TimeoutError(f"{method}: no reply in {timeout} s")

    def receive(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(line)

    def note(self, event):
        method = event.get("method", "")
        if method == "Runtime.exceptionThrown":
            self.errors.append(event["params"]["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and event["params"].get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in event["params"].get("args", [])))
        self.events.append(method)

    def open(self, url, width, height):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.evaluate("document.readyState") != "complete":
            time.sleep(0.05)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def screenshot(self, path, width, clip=None, top=0):
        height = int(self.send("Page.getLayoutMetrics")["cssContentSize"]["height"])
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": max(height, 200), "deviceScaleFactor": 1, "mobile": False})
        params = {"format": "png", "captureBeyondViewport": True}
        if clip:
            params["clip"] = {"x": 0, "y": top, "width": width, "height": min(clip, max(height - top, 1)), "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--sample", default="document.title")
    parser.add_argument("--until", default="true")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--screenshot")
    parser.add_argument("--clip", type=int, help="only the page's top this many pixels in the screenshot")
    parser.add_argument("--top", type=int, default=0, help="with --clip: where the screenshot starts, pixels from the page's top")
    parser.add_argument("--remove", help="a file to remove once the page has loaded and been sampled")
    opts = parser.parse_args()
    browser = Browser(opts.width, opts.height)
    try:
        browser.open(opts.url, opts.width, opts.height)
        first = last = browser.evaluate(opts.sample)
        if opts.remove:
            os.remove(opts.remove)
        reached = bool(browser.evaluate(opts.until))
        deadline = time.monotonic() + opts.timeout
        while not reached and time.monotonic() < deadline:
            time.sleep(0.25)
            last = browser.evaluate(opts.sample)
            reached = bool(browser.evaluate(opts.until))
        last = browser.evaluate(opts.sample)
        if opts.screenshot:
            browser.screenshot(opts.screenshot, opts.width, opts.clip, opts.top)
        print(json.dumps({"first": first, "last": last, "reached": reached, "errors": browser.errors}))
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
