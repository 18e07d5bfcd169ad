"""The append-only audit log of sensitive actions: who did what to which object, when and
from which address. Write with `audit.services.record(...)`; read on the `audit:log` page.
"""
