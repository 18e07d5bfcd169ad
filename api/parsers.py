"""JSON bodies read with a ceiling: a body larger than API_MAX_BODY gets 413, before it is
parsed or held in memory whole."""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework.parsers import JSONParser

from api.problems import PayloadTooLarge


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise PayloadTooLarge(limit)
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(limit)
        return super().parse(io.BytesIO(body), media_type, parser_context)
