#!/usr/bin/env python3
"""Public items and their doc examples, from rustdoc's JSON output.

rustdoc's own --show-coverage does not see the methods of a type that lives in
a private module and is re-exported (`mod lock; pub use lock::Mutex;`, the
layout of every aio crate), and counts such types as needing no example. This
walks what a user can name instead: from the crate root through modules and
re-exports to types, their inherent methods and trait methods.

Usage: doc-examples.py CRATE.json [--missing]
"""
import json
import sys

# Items that need an example of their own (as rustdoc decides: not fields,
# variants, constants, modules or associated types, which the type's or the
# module's example shows).
NEEDS_EXAMPLE = {"function", "struct", "enum", "union", "trait", "macro", "proc_macro"}
NOT_RUST = {"ignore", "text", "sh", "bash", "console", "toml", "json", "plain", "output"}


def has_example(docs):
    """A fenced block rustdoc runs or compiles (```, ```rust, ```no_run...)."""
    in_block = False
    for line in (docs or "").splitlines():
        line = line.strip()
        if not line.startswith("```"):
            continue
        if in_block:
            in_block = False
            continue
        in_block = True
        words = {w for w in line[3:].replace(",", " ").split() if w}
        if not words & NOT_RUST and all(
            w in {"rust", "no_run", "should_panic", "compile_fail"} or w.startswith("edition")
            for w in words
        ):
            return True
    return False


def main():
    path = sys.argv[1]
    doc = json.load(open(path))
    index = doc["index"]
    item = lambda i: index.get(str(i)) or index.get(i)
    seen = {}  # id -> (path, kind, documented, example)

    def visit(i, prefix):
        it = item(i)
        if it is None or it["crate_id"] != 0:
            return  # another crate's item: counted in that crate
        kind, inner = next(iter(it["inner"].items()))
        if kind == "use":
            if inner["id"] is None:
                return
            if inner["is_glob"]:
                target = item(inner["id"])
                if target and "module" in target["inner"]:
                    for child in target["inner"]["module"]["items"]:
                        visit(child, prefix)
                return
            visit(inner["id"], prefix)
            return
        name = prefix + (it["name"] or "")
        if i in seen or str(i) in seen:
            return
        seen[str(i)] = (name, kind, bool(it["docs"]), has_example(it["docs"]))
        if kind == "module":
            for child in inner["items"]:
                visit(child, name + "::")
        elif kind in ("struct", "enum", "union"):
            for impl_id in inner["impls"]:
                impl = item(impl_id)
                if impl is None:
                    continue
                imp = impl["inner"]["impl"]
                if imp["trait"] is None and not imp["is_synthetic"] and imp["blanket_impl"] is None:
                    for child in imp["items"]:
                        c = item(child)
                        if c and c["visibility"] == "public":
                            visit(child, name + "::")
        elif kind == "trait":
            for child in inner["items"]:
                visit(child, name + "::")

    visit(doc["root"], "")
    items = list(seen.values())
    eligible = [x for x in items if x[1] in NEEDS_EXAMPLE]
    if "--missing" in sys.argv:
        for name, kind, _, example in sorted(eligible):
            if not example:
                print(f"  {kind:10} {name}")
        for name, kind, documented, _ in sorted(items):
            if not documented:
                print(f"  undocumented {kind:10} {name}")
    else:
        print(
            len(items),
            sum(x[2] for x in items),
            sum(x[3] for x in eligible),
            len(eligible),
        )


main()
