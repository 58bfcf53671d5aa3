"""YAML manifest files -> validated desired state, with file:line:column on every error.

    mset = load_manifests("manifests/")        # raises ManifestError with every problem
    mset.objects["groups"]["CSKH"].location_of("members.1")
    check_live_references(mset, {"groups": {...}, "extensions": {...}})
"""

from reconciler.manifest.checks import check_live_references
from reconciler.manifest.desired import DesiredObject, ManifestSet
from reconciler.manifest.loader import load_manifests
from reconciler.manifest.schema import manifest_json_schema

__all__ = ["DesiredObject", "ManifestSet", "check_live_references", "load_manifests", "manifest_json_schema"]
