"""Security rules, one module per language family plus language-agnostic secrets.

Rule ids are ``QL-<LANG>-<RULE>`` (``QL-PY-SQL``, ``QL-JS-EVAL`` ...) for the
language rules and ``QL-SECRET-<KIND>`` for the secrets rules, which run on
every language.
"""
