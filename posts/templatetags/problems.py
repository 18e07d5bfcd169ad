"""Problems and reasons worded in the reader's language (posts.problems), in templates."""

from django import template

from posts.models import Delivery
from posts.problems import word

register = template.Library()


@register.filter
def reason(delivery: Delivery) -> str:
    """A delivery's last error: worded from its code when the sentence is ours, else the
    network's own words as they came."""
    return word(delivery.last_error_code, delivery.last_error_params, default=delivery.last_error)
