"""Validates rendered Kubernetes manifests offline, one document at a time.

A document whose apiVersion and kind have a schema in the schema directory (the custom
resources: Strimzi, KEDA) is checked against it; any other document against the
Kubernetes schemas bundled with kubernetes-validate, strictly (unknown fields fail). A
document for which neither has a schema fails: kubernetes-validate alone only warns.

Usage: check_k8s_manifests.py --schemas DIR --kubernetes-version X.Y FILE...
Exit status: 0 all documents valid, 1 any document invalid or without a schema.
"""

import argparse
import json
import pathlib
import sys

import jsonschema
import kubernetes_validate
import referencing
import yaml


def load_schemas(directory):
    """The custom resource schemas by (apiVersion, kind), and a registry of all schema
    files by their $id, so that their $refs resolve locally and never over the network."""
    registry = referencing.Registry()
    by_kind = {}
    for path in sorted(pathlib.Path(directory).glob("*.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        registry = registry.with_resource(schema["$id"], referencing.Resource.from_contents(schema))
        properties = schema.get("properties", {})
        api_version = properties.get("apiVersion", {}).get("const")
        kind = properties.get("kind", {}).get("const")
        if api_version and kind:
            by_kind[(api_version, kind)] = (path.name, schema)
    return by_kind, registry


def documents(path):
    """The non-empty YAML documents of a file, each with its position (1-based)."""
    with open(path) as stream:
        for index, document in enumerate(yaml.safe_load_all(stream), start=1):
            if document is not None:
                yield index, document


def describe(document):
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    return "%s/%s" % (document.get("kind", "?"), metadata.get("name", "?"))


def error_path(error):
    return ".".join(str(item) for item in error.absolute_path) or "(document)"


def check_document(document, schemas, registry, kubernetes_version):
    """The problems of one document: an empty list when it is valid."""
    if not isinstance(document, dict) or not isinstance(document.get("apiVersion"), str) \
            or not isinstance(document.get("kind"), str):
        return ["not a Kubernetes object: apiVersion and kind must be strings"]
    key = (document["apiVersion"], document["kind"])
    if key in schemas:
        _, schema = schemas[key]
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        return ["%s: %s" % (error_path(e), e.message) for e in errors]
    try:
        kubernetes_validate.validate(document, kubernetes_version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return ["no schema for kind %s of apiVersion %s: neither a built-in kind of Kubernetes %s "
                "nor a custom resource with a schema in k8s/schemas/" % (key[1], key[0], kubernetes_version)]
    except kubernetes_validate.ValidationError as error:
        return ["%s: %s" % (error_path(error), error.message)]
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", required=True, help="directory of the custom resource schemas")
    parser.add_argument("--kubernetes-version", required=True, help="Kubernetes version of the built-in schemas")
    parser.add_argument("files", nargs="+", help="rendered manifest files")
    arguments = parser.parse_args()

    schemas, registry = load_schemas(arguments.schemas)
    checked = failed = 0
    for path in arguments.files:
        try:
            loaded = list(documents(path))
        except (OSError, yaml.YAMLError) as error:
            print("FAIL %s: cannot read: %s" % (path, error))
            failed += 1
            continue
        for index, document in loaded:
            checked += 1
            problems = check_document(document, schemas, registry, arguments.kubernetes_version)
            where = "%s (%s, document %d)" % (describe(document) if isinstance(document, dict) else "?", path, index)
            if problems:
                failed += 1
                for problem in problems:
                    print("FAIL %s: %s" % (where, problem))
            else:
                key = (document["apiVersion"], document["kind"])
                against = schemas[key][0] if key in schemas else "Kubernetes %s" % arguments.kubernetes_version
                print("ok   %s against %s" % (where, against))
    print("%d documents checked, %d invalid" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
