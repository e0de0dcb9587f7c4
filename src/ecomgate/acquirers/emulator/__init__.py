"""The built-in acquirer: test-card table, emulated ACS (3-D Secure) page, latency and
fault knobs.  ``EmulatorAcquirer`` implements ``ecomgate.acquirers.base.Acquirer``;
``acs_routes`` serves its ACS pages (the app mounts them under ``/acs``)."""

from .acquirer import EmulatorAcquirer
from .acs import acs_routes

__all__ = ["EmulatorAcquirer", "acs_routes"]
