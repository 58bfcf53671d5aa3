"""reconciler: configuration as code for the OMICall call center."""

__version__ = "0.1.0"
