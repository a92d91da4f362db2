#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""validate-json.py SCHEMA [FILE]: validates JSON (FILE or stdin) against a JSON schema.

Uses python3-jsonschema when it is installed; otherwise a small validator for the subset of
draft-07 that test/*.schema.json use (type, enum, required, properties, additionalProperties,
items, pattern, minLength, minimum, oneOf, $ref into #/definitions)."""
import json
import re
import sys


def fallback_validate(doc, schema, root, path="$"):
    errors = []
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/definitions/"), ref
        return fallback_validate(doc, root["definitions"][ref[len("#/definitions/"):]], root, path)
    if "oneOf" in schema:
        ok = [s for s in schema["oneOf"] if not fallback_validate(doc, s, root, path)]
        if len(ok) != 1:
            errors.append(f"{path}: matches {len(ok)} of oneOf")
        return errors
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        pytypes = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = False
        for t in types:
            if t == "integer":
                ok |= isinstance(doc, int) and not isinstance(doc, bool)
            elif t == "number":
                ok |= isinstance(doc, (int, float)) and not isinstance(doc, bool)
            else:
                ok |= isinstance(doc, pytypes[t])
        if not ok:
            return [f"{path}: {doc!r} is not of type {types}"]
    if "enum" in schema and doc not in schema["enum"]:
        errors.append(f"{path}: {doc!r} not in {schema['enum']}")
    if isinstance(doc, str):
        if "pattern" in schema and not re.search(schema["pattern"], doc):
            errors.append(f"{path}: {doc!r} does not match {schema['pattern']}")
        if len(doc) < schema.get("minLength", 0):
            errors.append(f"{path}: too short")
    if isinstance(doc, int) and not isinstance(doc, bool) and "minimum" in schema and doc < schema["minimum"]:
        errors.append(f"{path}: {doc} < {schema['minimum']}")
    if isinstance(doc, dict):
        for k in schema.get("required", []):
            if k not in doc:
                errors.append(f"{path}: missing {k}")
        props = schema.get("properties", {})
        for k, v in doc.items():
            if k in props:
                errors += fallback_validate(v, props[k], root, f"{path}.{k}")
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}: unexpected {k}")
    if isinstance(doc, list) and "items" in schema:
        for i, v in enumerate(doc):
            errors += fallback_validate(v, schema["items"], root, f"{path}[{i}]")
    return errors


def main():
    schema = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
    try:
        import jsonschema
    except ImportError:
        errors = fallback_validate(doc, schema, schema)
        how = "built-in subset validator"
    else:
        v = jsonschema.Draft7Validator(schema)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]
        how = "python3-jsonschema"
    for e in errors:
        print("schema error:", e, file=sys.stderr)
    print(f"validated with {how}: {'ok' if not errors else 'FAILED'}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
