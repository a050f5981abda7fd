"""Federation facts about one subgraph: keys, external / shareable / used fields, interface objects.

These predicates are what the merge rules are phrased in (a field is "resolved" by a subgraph unless it
is external there; two resolving subgraphs need it shareable; an overridden field that is still used
by a key or @requires is kept as ``usedOverridden``).  They are computed once per subgraph and cached;
call :meth:`Metadata.refresh` after mutating the subgraph (the Fed-1 upgrade does).
"""

from __future__ import annotations

from .fieldset import targets
from .model import INTERFACE, OBJECT, UNION, Directive, Field, TypeDef, named
from .subgraph import Subgraph


class Metadata:
    """Cached federation predicates of a subgraph."""

    def __init__(self, sub: Subgraph) -> None:
        self.sub = sub
        self.refresh()

    def refresh(self) -> None:
        self._fake_external = self._collect_fake_externals()
        self._provided = self._collect_provided()
        self._shareable = self._collect_shareable()
        self._used = self._collect_used()

    # ---- simple accessors -------------------------------------------------------------------
    @staticmethod
    def keys(t: TypeDef) -> list[Directive]:
        return t.all("key")

    @staticmethod
    def key_is_extension(t: TypeDef, key: Directive) -> bool:
        """join__type(extension: true): the key was declared in ``extend type`` or the type has @extends."""
        return key.of_extension or t.has("extends")

    @staticmethod
    def is_interface_object(t: TypeDef) -> bool:
        return t.kind == OBJECT and t.has("interfaceObject")

    def is_entity(self, t: TypeDef) -> bool:
        return bool(self.keys(t))

    # ---- external ---------------------------------------------------------------------------
    def _raw_external(self, t: TypeDef, f: Field) -> bool:
        return f.has("external") or (self.sub.fed2 and t.kind == OBJECT and t.has("external"))

    def is_external(self, t: TypeDef, f: Field) -> bool:
        """@external, except key fields of extensions which federation never treated as external."""
        return self._raw_external(t, f) and (t.name, f.name) not in self._fake_external

    def is_fake_external(self, t: TypeDef, f: Field) -> bool:
        return (t.name, f.name) in self._fake_external

    def is_partially_external(self, t: TypeDef, f: Field) -> bool:
        return self.is_external(t, f) and (t.name, f.name) in self._provided

    def is_fully_external(self, t: TypeDef, f: Field) -> bool:
        return self.is_external(t, f) and (t.name, f.name) not in self._provided

    def is_shareable(self, t: TypeDef, f: Field) -> bool:
        return (t.name, f.name) in self._shareable

    def is_used(self, t: TypeDef, f: Field) -> bool:
        return (t.name, f.name) in self._used

    # ---- collection ---------------------------------------------------------------------------
    def _collect_fake_externals(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for t in self.sub.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            for key in self.keys(t):
                if not self.key_is_extension(t, key):
                    continue
                for tn, fn in targets(self.sub, t, key.str_arg("fields") or "", include_implementations=False):
                    owner = self.sub.types[tn]
                    if owner.fields[fn].has("external"):
                        out.add((tn, fn))
        return out

    def _provides_targets(self, f: Field) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for d in f.directives:
            if d.name != "provides":
                continue
            target = self.sub.types.get(named(f.type))
            if target is not None and target.kind in (OBJECT, INTERFACE, UNION):
                out.extend(targets(self.sub, target, d.str_arg("fields") or ""))
        return out

    def _collect_provided(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for t in self.sub.types.values():
            for f in t.fields.values():
                out.update(self._provides_targets(f))
        return out

    def _collect_shareable(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for t in self.sub.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            for key in self.keys(t):
                out.update(targets(self.sub, t, key.str_arg("fields") or ""))
            if t.kind != OBJECT:
                continue
            type_shareables = t.all("shareable")
            for f in t.fields.values():
                if f.has("shareable") or any(d.of_extension == f.of_extension for d in type_shareables):
                    out.add((t.name, f.name))
                for tn, fn in self._provides_targets(f):
                    owner = self.sub.types[tn]
                    if self.is_external(owner, owner.fields[fn]):
                        out.add((tn, fn))
        return out

    def _collect_used(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for t in self.sub.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            for key in self.keys(t):
                out.update(targets(self.sub, t, key.str_arg("fields") or ""))
            for f in t.fields.values():
                for d in f.all_named("requires"):
                    out.update(targets(self.sub, t, d.str_arg("fields") or ""))
                out.update(self._provides_targets(f))
            if t.kind == INTERFACE:
                for impl in self.sub.implementations(t.name):
                    if impl.kind != OBJECT:
                        continue
                    for fname in t.fields:
                        if fname in impl.fields:
                            out.add((impl.name, fname))
        return out
