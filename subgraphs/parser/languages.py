"""Language registry: which grammar parses what, and how a language is detected.

Grammars come from the per-language wheels where one exists and otherwise from
``tree-sitter-language-pack==0.13.0``, whose wheel bundles its grammars (every
1.x release downloads grammars at run time and fails offline).
Detection order: explicit name, then the path's extension, then a shebang.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from tree_sitter import Language, Parser


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """One supported language."""

    name: str
    extensions: tuple[str, ...]
    loader: Callable[[], object] = field(repr=False, compare=False)
    interpreters: tuple[str, ...] = ()  # shebang interpreter names
    aliases: tuple[str, ...] = ()


def _wheel(module: str, attr: str = "language") -> Callable[[], object]:
    def load() -> object:
        return getattr(importlib.import_module(module), attr)()

    return load


def _pack(name: str) -> Callable[[], object]:
    def load() -> object:
        from tree_sitter_language_pack import get_language

        return get_language(name)  # type: ignore[arg-type]

    return load


_SPECS: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py", ".pyi", ".pyw"), _wheel("tree_sitter_python"), ("python", "python3", "python2", "pypy", "pypy3"), ("py",)),
    LanguageSpec("javascript", (".js", ".mjs", ".cjs", ".jsx"), _wheel("tree_sitter_javascript"), ("node", "nodejs", "deno", "bun"), ("js", "jsx")),
    LanguageSpec("typescript", (".ts", ".mts", ".cts"), _wheel("tree_sitter_typescript", "language_typescript"), ("ts-node", "tsx"), ("ts",)),
    LanguageSpec("tsx", (".tsx",), _wheel("tree_sitter_typescript", "language_tsx")),
    LanguageSpec("go", (".go",), _wheel("tree_sitter_go"), (), ("golang",)),
    LanguageSpec("rust", (".rs",), _wheel("tree_sitter_rust"), (), ("rs",)),
    LanguageSpec("java", (".java",), _wheel("tree_sitter_java")),
    LanguageSpec("c", (".c", ".h"), _wheel("tree_sitter_c")),
    LanguageSpec("cpp", (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx", ".c++", ".h++", ".ipp"), _wheel("tree_sitter_cpp"), (), ("c++",)),
    LanguageSpec("csharp", (".cs",), _wheel("tree_sitter_c_sharp"), (), ("c#", "c_sharp", "cs")),
    LanguageSpec("ruby", (".rb", ".rake", ".gemspec"), _wheel("tree_sitter_ruby"), ("ruby",), ("rb",)),
    LanguageSpec("php", (".php", ".phtml"), _wheel("tree_sitter_php", "language_php"), ("php",)),
    LanguageSpec("bash", (".sh", ".bash", ".zsh"), _wheel("tree_sitter_bash"), ("sh", "bash", "zsh", "dash", "ksh"), ("shell", "sh")),
    LanguageSpec("kotlin", (".kt", ".kts"), _pack("kotlin"), (), ("kt",)),
    LanguageSpec("swift", (".swift",), _pack("swift")),
    LanguageSpec("scala", (".scala", ".sc"), _pack("scala"), ("scala",)),
    LanguageSpec("lua", (".lua",), _pack("lua"), ("lua", "luajit")),
    LanguageSpec("haskell", (".hs",), _pack("haskell"), ("runhaskell",), ("hs",)),
    LanguageSpec("elixir", (".ex", ".exs"), _pack("elixir"), ("elixir",)),
    LanguageSpec("dart", (".dart",), _pack("dart")),
    LanguageSpec("r", (".r", ".R"), _pack("r"), ("Rscript",)),
    LanguageSpec("julia", (".jl",), _pack("julia"), ("julia",)),
    LanguageSpec("ocaml", (".ml",), _pack("ocaml"), ("ocaml",)),
    LanguageSpec("perl", (".pl", ".pm"), _pack("perl"), ("perl",)),
    LanguageSpec("zig", (".zig",), _pack("zig")),
    LanguageSpec("erlang", (".erl", ".hrl"), _pack("erlang"), ("escript",)),
    LanguageSpec("clojure", (".clj", ".cljs", ".cljc", ".edn"), _pack("clojure")),
    LanguageSpec("elm", (".elm",), _pack("elm")),
    LanguageSpec("nim", (".nim",), _pack("nim")),
    LanguageSpec("d", (".d",), _pack("d")),
    LanguageSpec("fortran", (".f90", ".f95", ".f03", ".f08"), _pack("fortran")),
    LanguageSpec("groovy", (".groovy", ".gradle"), _pack("groovy"), ("groovy",)),
    LanguageSpec("solidity", (".sol",), _pack("solidity")),
    LanguageSpec("objc", (".m",), _pack("objc"), (), ("objective-c",)),
    LanguageSpec("html", (".html", ".htm"), _pack("html")),
    LanguageSpec("css", (".css",), _pack("css")),
    LanguageSpec("scss", (".scss",), _pack("scss")),
    LanguageSpec("sql", (".sql",), _pack("sql")),
    LanguageSpec("json", (".json",), _pack("json")),
    LanguageSpec("yaml", (".yaml", ".yml"), _pack("yaml")),
    LanguageSpec("toml", (".toml",), _pack("toml")),
    LanguageSpec("hcl", (".hcl", ".tf"), _pack("hcl"), (), ("terraform",)),
    LanguageSpec("dockerfile", (".dockerfile",), _pack("dockerfile")),
    LanguageSpec("make", (".mk",), _pack("make"), ("make",), ("makefile",)),
    LanguageSpec("graphql", (".graphql", ".gql"), _pack("graphql")),
    LanguageSpec("markdown", (".md", ".markdown"), _pack("markdown")),
    LanguageSpec("powershell", (".ps1", ".psm1"), _pack("powershell"), ("pwsh",)),
    LanguageSpec("cobol", (".cob", ".cbl"), _pack("cobol")),
)

LANGUAGES: dict[str, LanguageSpec] = {spec.name: spec for spec in _SPECS}
_BY_ALIAS: dict[str, str] = {}
_BY_EXTENSION: dict[str, str] = {}
_BY_INTERPRETER: dict[str, str] = {}
for _spec in _SPECS:
    _BY_ALIAS[_spec.name] = _spec.name
    for _alias in _spec.aliases:
        _BY_ALIAS.setdefault(_alias.lower(), _spec.name)
    for _ext in _spec.extensions:
        _BY_EXTENSION.setdefault(_ext, _spec.name)
        _BY_EXTENSION.setdefault(_ext.lower(), _spec.name)
    for _interp in _spec.interpreters:
        _BY_INTERPRETER.setdefault(_interp, _spec.name)

_SPECIAL_FILENAMES = {"dockerfile": "dockerfile", "containerfile": "dockerfile", "makefile": "make", "gnumakefile": "make",
                      "rakefile": "ruby", "gemfile": "ruby", "build.gradle": "groovy"}
_SHEBANG = re.compile(r"^#!\s*(\S+)(?:\s+(\S+))?")


class UnsupportedLanguageError(ValueError):
    """Raised when no grammar matches; carries the names that are supported."""

    def __init__(self, requested: str | None) -> None:
        self.requested = requested
        self.supported = sorted(LANGUAGES)
        what = f"language {requested!r}" if requested else "the language of this source"
        super().__init__(f"Unsupported {what}; supported: {', '.join(self.supported)}")


def resolve_name(name: str) -> str | None:
    """Canonical language name for ``name`` (case-insensitive, aliases allowed)."""
    return _BY_ALIAS.get(name.strip().lower())


def detect_language(source: str | bytes, path: str | None = None, language: str | None = None) -> str:
    """Pick the language: explicit name, else the path's extension, else a shebang."""
    if language:
        resolved = resolve_name(language)
        if resolved is None:
            raise UnsupportedLanguageError(language)
        return resolved
    if path:
        base = path.replace("\\", "/").rsplit("/", 1)[-1]
        special = _SPECIAL_FILENAMES.get(base.lower())
        if special:
            return special
        if "." in base:
            ext = "." + base.rsplit(".", 1)[-1]
            found = _BY_EXTENSION.get(ext) or _BY_EXTENSION.get(ext.lower())
            if found:
                return found
    head = source[:256] if isinstance(source, str) else source[:256].decode("utf-8", "replace")
    match = _SHEBANG.match(head)
    if match:
        interpreter = match.group(1).rsplit("/", 1)[-1]
        if interpreter == "env" and match.group(2):
            interpreter = match.group(2)
        interpreter = re.sub(r"[\d.]+$", "", interpreter) or interpreter
        found = _BY_INTERPRETER.get(interpreter) or _BY_INTERPRETER.get(match.group(1).rsplit("/", 1)[-1])
        if found:
            return found
    raise UnsupportedLanguageError(language or path)


@cache
def get_language(name: str) -> Language:
    """The tree-sitter ``Language`` for a canonical name (loaded once per process)."""
    spec = LANGUAGES[name]
    loaded = spec.loader()
    return loaded if isinstance(loaded, Language) else Language(loaded)


@cache
def get_parser(name: str) -> Parser:
    """A parser per language per process (parsers are not thread-safe; workers are processes)."""
    return Parser(get_language(name))
