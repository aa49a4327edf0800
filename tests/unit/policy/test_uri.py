"""URIs as libvirt's virURIParse (libxml2's xmlParseURI) reads them: what parses and into which parts.

The expectations were taken from xmlParseURI of libxml2 2.9.10, 2.9.14, 2.12 and 2.15 (Debian 11, 12, 13 and
unstable), which agree on every one of them."""

from __future__ import annotations

import pytest

from miglint.policy.uri import URI, parse, rewrite

NOT = None  # does not parse: "Unable to parse URI ..."


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.3:49155", NOT), ("127.0.0.3", URI(None, None, None, None, "127.0.0.3", None, None)),
    ("//127.0.0.3:49152", URI(None, "127.0.0.3", 49152, None, None, None, None)),
    ("tcp://127.0.0.3", URI("tcp", "127.0.0.3", None, None, None, None, None)),
    ("tcp:127.0.0.3", URI("tcp", None, None, None, "127.0.0.3", None, None)),
    ("tcp://", URI("tcp", None, None, None, None, None, None)), ("tcp:", URI("tcp", None, None, None, None, None, None)),
    ("tcp:///x", URI("tcp", None, None, None, "/x", None, None)),
    ("dst:49152", URI("dst", None, None, None, "49152", None, None)),
    ("TCP://dst", URI("TCP", "dst", None, None, None, None, None)),
    ("vzmigr://dst/", URI("vzmigr", "dst", None, None, "/", None, None)),
    ("tcp://dst:", NOT), ("tcp://dst:abc", NOT), ("tcp://tcp:dst", NOT), ("tcp://dst:12a", NOT), ("tcp://dst:-1", NOT),
    ("tcp://h:2147483647", URI("tcp", "h", 2147483647, None, None, None, None)), ("tcp://h:2147483648", NOT),
    ("tcp://[::1]:4", URI("tcp", "::1", 4, None, None, None, None)), ("tcp://[::1", NOT), ("tcp://[::1]x", NOT),
    ("qemu+ssh://[::1]/system", URI("qemu+ssh", "::1", None, None, "/system", None, None)),
    ("tcp://a b", NOT), ("tcp://dst/a b", NOT), ("tcp://dst/%zz", NOT), ("tcp://h/a%2", NOT), ("tcp://u%zz@h", NOT),
    ("tcp://dst/%41", URI("tcp", "dst", None, None, "/A", None, None)),
    ("tcp://d%20st", URI("tcp", "d st", None, None, None, None, None)),
    ("tcp://user@dst:5", URI("tcp", "dst", 5, "user", None, None, None)),
    ("tcp://u:p@h", URI("tcp", "h", None, "u:p", None, None, None)),
    ("tcp://dst?x=1#f", URI("tcp", "dst", None, None, None, "x=1", "f")),
    ("tcp://h?%41", URI("tcp", "h", None, None, None, "%41", None)),  # the query stays as written
    ("tcp://dst?a?b", URI("tcp", "dst", None, None, None, "a?b", None)), ("tcp://dst#a#b", NOT),
    ("1tcp://dst", NOT), ("t+c.p-1://dst", URI("t+c.p-1", "dst", None, None, None, None, None)),
    ("", URI(None, None, None, None, None, None, None)), (" ", NOT), ("a:b c", NOT), ("tcp://h\n", NOT),
    *[(f"tcp://dst/{c}", NOT) for c in '<"{|\\^`'], ("tcp://é", NOT), ("tcp://dst/é", NOT),
    ("tcp://d_s~t", URI("tcp", "d_s~t", None, None, None, None, None)),
    ("tcp://dst:65536", URI("tcp", "dst", 65536, None, None, None, None)),
    ("unix:///run/x.sock", URI("unix", None, None, None, "/run/x.sock", None, None)),
    ("rdma:dst", URI("rdma", None, None, None, "dst", None, None)),
    ("//", URI(None, None, None, None, None, None, None)), ("/x", URI(None, None, None, None, "/x", None, None)),
    ("?q", URI(None, None, None, None, None, "q", None)), ("#f", URI(None, None, None, None, None, None, "f")),
    ("a:b:c", URI("a", None, None, None, "b:c", None, None)), (":x", NOT), ("%41:x", NOT), ("a%41:b", NOT),
    ("a@b", URI(None, None, None, None, "a@b", None, None)), ("tcp:[::1]", NOT), ("tcp://h]", NOT),
    ("a:/b//c", URI("a", None, None, None, "/b//c", None, None)),
    ("//u@h:5/p?q#f", URI(None, "h", 5, "u", "/p", "q", "f")),
    ("x:?", URI("x", None, None, None, None, "", None)), ("x:#?", URI("x", None, None, None, None, None, "?")),
    ("qemu+unix:///system?socket=/run/a", URI("qemu+unix", None, None, None, "/system", "socket=/run/a", None)),
])
def test_parse_like_xmlParseURI(text, expected):
    assert parse(text) == expected


def test_rewrite_a_prefix_unless():
    assert rewrite("tcp:dst", "tcp:", "tcp://", "tcp://") == "tcp://dst"
    assert rewrite("tcp://dst", "tcp:", "tcp://", "tcp://") == "tcp://dst"
    assert rewrite("dst:5", "", "tcp://", "tcp://") == "tcp://dst:5"
    assert rewrite("rdma:dst", "tcp:", "", "tcp://") == "rdma:dst"
