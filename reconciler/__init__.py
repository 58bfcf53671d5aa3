"""reconciler: configuration as code for the OMICall call center."""

__version__ = "0.1.0"

# The version of every JSON document the reconciler prints or saves (plans, plan files,
# drift, lint, trace, errors): new keys may be added within a version, none removed.
FORMAT_VERSION = 1
