"""Checking that web links still work, politely, with the standard library only.

http.client rather than urllib: it gives separate connect and read timeouts, and lets us follow
redirects ourselves, so each hop keeps the HEAD method and waits its turn for its host. A small
job like this does not justify a dependency (requests/httpx would add little here).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import zip_longest
from urllib.parse import quote, urljoin, urlsplit

from .choices import LinkError

MAX_REDIRECTS = 10
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Servers that do not implement HEAD say so with these; then we ask again with GET.
HEAD_REFUSED = {405, 501}


@dataclass(frozen=True)
class LinkResult:
    result: str  # the final HTTP status ("200", "404") or a LinkError value ("timeout")
    final_url: str = ""  # where the redirects led; empty when no answer came


class HostThrottle:
    """At most ``per_second`` requests to one host: waits before a request that would come too soon."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = 1 / per_second if per_second > 0 else 0
        self.clock, self.sleep = clock, sleep
        self.last: dict[str, float] = {}

    def wait(self, host: str) -> None:
        if host in self.last:
            delay = self.last[host] + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)
        self.last[host] = self.clock()


class LinkChecker:
    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float,
        read_timeout: float,
        per_second: float,
    ):
        self.user_agent = user_agent
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.throttle = HostThrottle(per_second)
        self.tls = ssl.create_default_context()

    def check_all(self, urls: Iterable[str]) -> dict[str, LinkResult]:
        """Check each distinct URL once, alternating between hosts."""
        by_host: dict[str, list[str]] = defaultdict(list)
        for url in sorted(set(urls)):
            by_host[urlsplit(url).hostname or ""].append(url)
        results = {}
        for batch in zip_longest(*by_host.values()):
            for url in batch:
                if url is not None:
                    results[url] = self.check(url)
        return results

    def check(self, url: str) -> LinkResult:
        """Follow ``url`` to its final answer. Never raises: any failure is a LinkError value."""
        try:
            return self._follow(url)
        except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
            return LinkResult(LinkError.TIMEOUT)
        except socket.gaierror:
            return LinkResult(LinkError.DNS)
        except (ssl.SSLError, ssl.CertificateError):
            return LinkResult(LinkError.TLS)
        except (http.client.InvalidURL, ValueError, UnicodeError):
            return LinkResult(LinkError.INVALID_URL)
        except http.client.HTTPException:
            return LinkResult(LinkError.INVALID_RESPONSE)
        except OSError:
            return LinkResult(LinkError.CONNECTION)
        except Exception:  # one odd link must not stop the whole run
            return LinkResult(LinkError.ERROR)

    def _follow(self, url: str) -> LinkResult:
        for _hop in range(MAX_REDIRECTS + 1):
            status, location = self._request("HEAD", url)
            if status in HEAD_REFUSED:
                status, location = self._request("GET", url)
            if status in REDIRECT_STATUSES and location:
                url = urljoin(url, location)
                continue
            return LinkResult(str(status), url)
        return LinkResult(LinkError.TOO_MANY_REDIRECTS)

    def _request(self, method: str, url: str) -> tuple[int, str | None]:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise http.client.InvalidURL(url)
        self.throttle.wait(parts.hostname)
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.connect_timeout, context=self.tls
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.connect_timeout)
        # Addresses with Cyrillic paths are sent percent-encoded, as browsers do.
        target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        if parts.query:
            target += "?" + quote(parts.query, safe="=&%:@!$'()*+,;/?-._~")
        try:
            connection.connect()
            connection.sock.settimeout(self.read_timeout)
            connection.request(
                method,
                target,
                headers={"User-Agent": self.user_agent, "Accept": "text/html,*/*;q=0.8"},
            )
            response = connection.getresponse()
            # The status line and headers are all we need; the body is never read.
            return response.status, response.getheader("Location")
        finally:
            connection.close()
