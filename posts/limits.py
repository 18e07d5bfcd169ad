"""How long each free text may be: what the networks could ever take, with a margin. Past
these, a text is refused with the limit said, by the forms and again by the services."""

from channels.text import TEXT_MAX

__all__ = ["REASON_MAX", "TEXT_MAX"]

# A pause's or a cancellation's reason: a few sentences, shown to everyone concerned.
REASON_MAX = 2_000
