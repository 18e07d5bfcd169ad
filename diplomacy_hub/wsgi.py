import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy_hub.settings.local")
application = get_wsgi_application()

# Each text tab's language is checked as one types: read the detector's model at boot, not
# in the first preview request (posts.language.warm).
from posts.language import warm  # noqa: E402 (after Django is set up)

warm()
