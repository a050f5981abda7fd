"""Security findings: a fast, rule-based scan of one parsed file.

Rules (ids, severities and CWEs are defined in ``subgraphs.parser.rules``):

=====================  =========  ===========================================
rule id                CWE        what
=====================  =========  ===========================================
QL-PY-EVAL/QL-JS-EVAL  CWE-95     eval/exec/compile, ``new Function``,
                                  ``setTimeout("..." + x)`` of a dynamic string
QL-*-SHELL             CWE-78     ``shell=True``/``os.system``/``os.popen``,
                                  ``child_process.exec[Sync]`` with built input
QL-*-SQL               CWE-89     SQL built with ``+``/``%``/``.format``/
                                  f-string/template passed to execute/query/raw
QL-SECRET-*            CWE-798    AWS key ids, private keys, credentials
                                  assigned to password/secret/token names
QL-*-WEAK-HASH         CWE-328    MD5/SHA-1 (``usedforsecurity=False`` exempts)
QL-*-DESERIALIZE       CWE-502    pickle/marshal/unsafe yaml, node-serialize
QL-*-TLS-VERIFY        CWE-295    ``verify=False``, ``CERT_NONE``,
                                  ``rejectUnauthorized: false`` ...
=====================  =========  ===========================================

Language rules cover Python and JavaScript/TypeScript/TSX; the secrets rules
run on every language.  Each rule is a bytes regex that finds candidates
(most files have none) followed by a check of the tree around each one, so a
scan costs a few regex passes over the source plus work per candidate.
"""

from __future__ import annotations

from tree_sitter import Tree

from subgraphs.parser.model import Finding
from subgraphs.parser.rules.javascript import scan_javascript
from subgraphs.parser.rules.python import scan_python
from subgraphs.parser.rules.secrets import scan_secrets

_JS_FAMILY = frozenset({"javascript", "typescript", "tsx"})


def scan(tree: Tree, source: bytes, language: str) -> list[Finding]:
    """All findings in one file, ordered by position; never raises on odd input."""
    root = tree.root_node
    if language == "python":
        findings = scan_python(root, source)
    elif language in _JS_FAMILY:
        findings = scan_javascript(root, source)
    else:
        findings = []
    findings.extend(scan_secrets(source))
    unique = {(f.line, f.column, f.rule_id): f for f in findings}
    return [unique[k] for k in sorted(unique)]
