"""The merchant back office and the operator console under ``/dashboard``."""
