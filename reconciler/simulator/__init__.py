"""The built-in OMICall tenant: a faithful stand-in for the vendor's call-center
API (``/work/shared/api/call-center.md``), over loopback HTTP or in-process.

It shares no code with the rest of the package: it stands for the vendor's server,
not for our idea of it.

    from reconciler.simulator import Simulator
    with Simulator() as sim:            # demo tenant, served on a free port
        ...  # httpx against sim.url
"""

from .app import Simulator
from .dropped import ConnectionDropped
from .errors import SeedError
from .faults import FaultRule
from .records import RequestRecord
from .runner import serve
from .tenant import KINDS, Tenant

__all__ = ["ConnectionDropped", "FaultRule", "KINDS", "RequestRecord", "SeedError", "Simulator", "Tenant", "serve"]
