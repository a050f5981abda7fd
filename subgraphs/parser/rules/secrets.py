"""Hard-coded secrets (CWE-798); language-agnostic, so they run on the raw bytes.

* ``QL-SECRET-AWS-KEY``: an AWS access key id (``AKIA``/``ASIA`` + 16 upper-case
  letters or digits); AWS's documented ``...EXAMPLE`` keys are ignored.
* ``QL-SECRET-PRIVATE-KEY``: a PEM private key block header.
* ``QL-SECRET-HARDCODED``: a string literal assigned to a variable, key or
  keyword whose name says password/secret/token/api key.  Empty values,
  placeholders (``changeme``, ``<...>``, ``${...}``, ``xxx`` ...), values with
  whitespace (prompts, messages), very short values and names that describe
  the secret rather than hold it (``password_prompt``, ``token_type`` ...)
  are not findings.
"""

from __future__ import annotations

import re

from subgraphs.parser.model import Finding, Severity
from subgraphs.parser.rules.common import Rule

AWS_KEY = Rule("QL-SECRET-AWS-KEY", Severity.CRITICAL, "CWE-798", "Hard-coded AWS access key id")
PRIVATE_KEY = Rule("QL-SECRET-PRIVATE-KEY", Severity.CRITICAL, "CWE-798", "Hard-coded private key block")
HARDCODED = Rule("QL-SECRET-HARDCODED", Severity.HIGH, "CWE-798", "Hard-coded credential")

_AWS = re.compile(rb"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])")
_PEM = re.compile(rb"-----BEGIN (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY(?: BLOCK)?-----")

# A credential's name contains one of these (checked on the lower-cased name) ...
_KEYWORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
             "access_key", "accesskey", "auth_key", "authkey", "private_key", "privatekey", "credential")
# ... and the source is searched for these roots of them (each search is a pass over the bytes).
_ROOTS = (b"passw", b"secret", b"token", b"api", b"access", b"auth", b"private", b"credential", b"passphrase")
_PEM_HINT = b"private key"
# ... and what must follow the keyword: rest of the name, assignment operator, quoted literal.
# Lengths are bounded so that a long run of name characters cannot make the scan quadratic.
_TAIL = re.compile(rb"([a-z0-9_\-]{0,64})['\"]?\]?[ \t]{0,8}(?::=|=>|=|:)[ \t]{0,8}(?:[rbu]{1,2})?(['\"`])"
                   rb"([^'\"`\n\\]{0,512})\2")
_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-$.")
# Names that describe a credential rather than hold one: substrings, then whole name parts.
_DESCRIPTIVE = ("prompt", "label", "message", "placeholder", "field", "pattern", "regex", "format", "hint",
                "header", "type", "name", "url", "uri", "path", "file", "policy", "length", "endpoint",
                "description", "title", "expire", "timeout", "error", "tokeniz", "cookie", "column", "hash",
                "salt", "reset", "confirm", "kind", "class")
_DESCRIPTIVE_PARTS = frozenset({"msg", "env", "var", "len", "count", "size", "min", "max", "mode", "id", "param",
                                "input", "attr", "dir", "text", "prefix", "suffix", "sep", "char", "tokens", "at",
                                "ttl", "scope", "table", "cache", "storage", "location", "bytes",
                                "start", "end", "pos", "index", "idx", "re", "rx"})
_PLACEHOLDER = re.compile(
    rb"^(?:|none|null|nil|true|false|undefined|changeme|change_me|change-me|todo|fixme|secret|password|token|"
    rb"example|dummy|fake|test|testing|sample|redacted|hidden|default|string|xxx+|\*+|\.+|-+|x+)$"
    rb"|[<>{}%$]|^your|example|placeholder|dummy|changeme|xxxx|\*\*\*"
)


def _descriptive(name: str) -> bool:
    if any(d in name for d in _DESCRIPTIVE):
        return True
    return any(part in _DESCRIPTIVE_PARTS for part in re.split(r"[_\-.$]+", name))


def _hardcoded(source: bytes, lower: bytes) -> list[Finding]:
    found: list[Finding] = []
    seen: set[int] = set()
    for root in _ROOTS:
        at = lower.find(root)
        while at >= 0:
            match = _TAIL.match(lower, at + len(root))
            at = lower.find(root, at + 1)
            if match is None:
                continue
            start = match.start() - len(root)
            floor = max(0, start - 64)
            while start > floor and lower[start - 1] in _NAME_CHARS:
                start -= 1
            if start in seen:
                continue
            seen.add(start)
            finding = _check(source, lower, start, match)
            if finding is not None:
                found.append(finding)
    return found


def _check(source: bytes, lower: bytes, start: int, match: re.Match[bytes]) -> Finding | None:
    name = lower[start:match.end(1)].decode("ascii", "replace").rsplit(".", 1)[-1].lstrip("$")
    value = match.group(3)
    if not any(k in name for k in _KEYWORDS):
        return None
    if len(value) < 4 or any(c in value for c in b" \t") or _PLACEHOLDER.search(value):
        return None
    if _descriptive(name) or value.decode("ascii", "replace") == name:
        return None
    if start > 0 and lower[start - 1] in b"'\"" and lower[start - 2: start - 1] not in (
            b"{", b"[", b" ", b",", b"(", b"\t", b"\n"):
        return None  # the keyword sits inside some other string
    shown = source[match.end(1) - len(name):match.end(1)].decode("utf-8", "replace")
    return HARDCODED.at_offset(source, start, f"Hard-coded credential assigned to '{shown}'")


def scan_secrets(source: bytes) -> list[Finding]:
    findings: list[Finding] = []
    if b"AKIA" in source or b"ASIA" in source:
        for m in _AWS.finditer(source):
            if not m.group(0).endswith(b"EXAMPLE"):
                findings.append(AWS_KEY.at_offset(source, m.start()))
    lower = source.lower()
    if _PEM_HINT in lower:
        findings.extend(PRIVATE_KEY.at_offset(source, m.start()) for m in _PEM.finditer(source))
    findings.extend(_hardcoded(source, lower))
    return findings
