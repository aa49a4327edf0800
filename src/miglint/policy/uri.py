"""URIs as libvirt reads them: virURIParse (src/util/viruri.c), which is libxml2's xmlParseURI.

libxml2 parses an RFC 3986 URI-reference: first ``scheme ":" hier-part ["?" query] ["#" fragment]``, and when
that does not take the whole string, a relative reference ``relative-part ["?" query] ["#" fragment]``. The
grammar modelled here (checked against xmlParseURI of libxml2 2.9.10, 2.9.14, 2.12 and 2.15, the libxml2 of
Debian 11, 12, 13 and unstable, which agree on all of it but huge ports)::

    scheme        = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    hier-part     = "//" authority path-abempty / path-absolute / path-rootless / path-empty
    relative-part = "//" authority path-abempty / path-absolute / path-noscheme / path-empty
    authority     = [ userinfo "@" ] host [ ":" port ]
    userinfo      = *( unreserved / pct-encoded / sub-delims / ":" )
    host          = "[" *( any character but "]" ) "]" / *( unreserved / pct-encoded / sub-delims )
    port          = 1*DIGIT, at most 2147483647 (libxml2 2.9.10 clamps bigger ports to 99999999 instead)
    path-abempty  = *( "/" segment )
    path-absolute = "/" [ segment-nz *( "/" segment ) ]
    path-rootless = segment-nz *( "/" segment )
    path-noscheme = segment-nz-nc *( "/" segment )      (no ":" in the first segment)
    segment       = *pchar;  segment-nz = 1*pchar;  segment-nz-nc = 1*( pchar but ":" )
    query         = *( pchar / "/" / "?" );  fragment = the same
    pchar         = unreserved / pct-encoded / sub-delims / ":" / "@"
    unreserved    = ALPHA / DIGIT / "-" / "." / "_" / "~";  sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*"
                    / "+" / "," / ";" / "=";  pct-encoded = "%" HEXDIG HEXDIG

So "127.0.0.3:49155" does not parse (no scheme starts with a digit, and a relative path's first segment holds no
":"), "dst:49152" is the scheme "dst" with the path "49152", spaces, non-ASCII characters, ``<>"{}|\\^``` and a
port that is empty or not a number do not parse. Like virURIParse, the scheme keeps its case, the host loses the
brackets of an IPv6 address, host, user, path and fragment are unescaped and the query stays as written.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote

_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_UNRESERVED = _ALPHA | _DIGIT | frozenset("-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_SCHEME = _ALPHA | _DIGIT | frozenset("+-.")
_REG_NAME = _UNRESERVED | _SUB_DELIMS
_USERINFO = _REG_NAME | frozenset(":")
_PCHAR = _REG_NAME | frozenset(":@")
_PCHAR_NC = _REG_NAME | frozenset("@")
_QUERY = _PCHAR | frozenset("/?")
PORT_MAX = 2147483647
MEMO_SIZE = 256  # texts parsed lately: a rule's part tests and its sibling rules parse the same URI again
_RUNS: dict[frozenset[str], re.Pattern[str]] = {}


def _run(allowed: frozenset[str]) -> re.Pattern[str]:
    """A run of allowed characters and percent-escapes (what _scan walks), as one regular expression."""
    got = _RUNS.get(allowed)
    if got is None:
        chars = "".join(sorted(re.escape(c) for c in allowed))
        got = _RUNS[allowed] = re.compile(f"(?:[{chars}]+|%[0-9A-Fa-f]{{2}})*")
    return got


class URI(NamedTuple):
    """The parts of a parsed URI (None: absent), as virURIParse fills its virURI."""

    scheme: str | None
    server: str | None
    port: int | None
    user: str | None
    path: str | None
    query: str | None
    fragment: str | None


_memo: dict[str, URI | None] = {}


def parse(text: str) -> URI | None:
    """The URI as libvirt's virURIParse reads it, or None where it reports "Unable to parse URI"."""
    if not isinstance(text, str):
        return None
    try:
        return _memo[text]
    except KeyError:
        pass
    got = _Parser(text).absolute() or _Parser(text).relative()
    if len(_memo) >= MEMO_SIZE:
        _memo.clear()
    _memo[text] = got
    return got


class _Parser:
    __slots__ = ("s", "i", "scheme", "server", "port", "user", "path", "query", "fragment")

    def __init__(self, s: str) -> None:
        self.s, self.i = s, 0
        self.scheme: str | None = None
        self.server: str | None = None
        self.user: str | None = None
        self.path: str | None = None
        self.query: str | None = None
        self.fragment: str | None = None
        self.port: int | None = None

    # -- the two forms ------------------------------------------------------------------------------

    def absolute(self) -> URI | None:
        s = self.s
        j = 0
        if not s or s[0] not in _ALPHA:
            return None
        while j < len(s) and s[j] in _SCHEME:
            j += 1
        if j >= len(s) or s[j] != ":":
            return None
        self.scheme, self.i = s[:j], j + 1
        if s.startswith("//", self.i):
            if not self._authority() or not self._segments():
                return None
        elif self._peek("/"):
            if not self._path_absolute():
                return None
        elif not self._path_first(_PCHAR):
            return None
        return self._tail()

    def relative(self) -> URI | None:
        if self.s.startswith("//"):
            if not self._authority() or not self._segments():
                return None
        elif self._peek("/"):
            if not self._path_absolute():
                return None
        elif not self._path_first(_PCHAR_NC):
            return None
        return self._tail()

    def _tail(self) -> URI | None:
        s = self.s
        if self._peek("?"):
            start = self.i + 1
            end = self._scan(start, _QUERY)
            if end is None:
                return None
            self.query, self.i = s[start:end], end
        if self._peek("#"):
            start = self.i + 1
            end = self._scan(start, _QUERY)
            if end is None:
                return None
            self.fragment, self.i = unquote(s[start:end]), end
        if self.i != len(s):
            return None
        server = self.server
        if server is not None and server.startswith("[") and server.endswith("]"):
            server = server[1:-1]  # virStringStripIPv6Brackets
        return URI(self.scheme, server or None, self.port, self.user, self.path, self.query, self.fragment)

    # -- pieces ---------------------------------------------------------------------------------------

    def _peek(self, c: str) -> bool:
        return self.i < len(self.s) and self.s[self.i] == c

    def _scan(self, j: int, allowed: frozenset[str]) -> int | None:
        """The end of the run of allowed characters and percent-escapes from j; None at a broken escape."""
        s = self.s
        end = _run(allowed).match(s, j).end()  # type: ignore[union-attr]  # (a run may be empty: it matches)
        return None if end < len(s) and s[end] == "%" else end

    def _authority(self) -> bool:
        s = self.s
        j = self.i + 2
        end = self._scan(j, _USERINFO)
        if end is not None and end < len(s) and s[end] == "@":
            self.user, j = unquote(s[j:end]), end + 1
        if j < len(s) and s[j] == "[":
            close = s.find("]", j)
            if close < 0:
                return False
            self.server, j = unquote(s[j:close + 1]), close + 1
        else:
            end = self._scan(j, _REG_NAME)
            if end is None:
                return False
            self.server, j = (unquote(s[j:end]) or None), end
        if j < len(s) and s[j] == ":":
            k = j + 1
            while k < len(s) and s[k] in _DIGIT:
                k += 1
            if k == j + 1 or int(s[j + 1:k]) > PORT_MAX:
                return False
            self.port, j = int(s[j + 1:k]), k
        self.i = j
        return True

    def _segments(self) -> bool:
        """*( "/" segment ) from here; the path is what they spell (None when empty)."""
        s = self.s
        start = j = self.i
        while j < len(s) and s[j] == "/":
            end = self._scan(j + 1, _PCHAR)
            if end is None:
                return False
            j = end
        self.path = unquote(s[start:j]) if j > start else None
        self.i = j
        return True

    def _path_absolute(self) -> bool:
        start = self.i
        end = self._scan(self.i + 1, _PCHAR)
        if end is None:
            return False
        self.i = end
        if not self._segments():
            return False
        self.path = unquote(self.s[start:self.i])
        return True

    def _path_first(self, first: frozenset[str]) -> bool:
        """path-rootless (first: pchar) or path-noscheme (first: pchar without ":"), or an empty path."""
        start = self.i
        end = self._scan(self.i, first)
        if end is None:
            return False
        if end == start:
            return True  # path-empty
        self.i = end
        if not self._segments():
            return False
        self.path = unquote(self.s[start:self.i])
        return True


def rewrite(text: str, prefix: str, unless: str, to: str) -> str:
    """``text`` with a leading ``prefix`` replaced by ``to``, unless it starts with ``unless`` (libvirt's own
    fix-ups before parsing: the QEMU driver reads "tcp:HOST" as "tcp://HOST", libxl puts "tcp://" before a
    URI without it). An empty ``unless`` excepts nothing."""
    if text.startswith(prefix) and not (unless and text.startswith(unless)):
        return to + text[len(prefix):]
    return text
