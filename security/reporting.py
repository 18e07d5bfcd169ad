"""Error reports (Django's technical 500 page, and the report mailed to admins on a server
error) that show no credential from the request's query string.

Django's own filter hides sensitive settings, the POST parameters a view marks
(sensitive_post_parameters) and the local variables it marks (sensitive_variables). It
does not hide the query string: yet OAuth callbacks carry the authorization `code` and the
`state` (OAuth 1.0a: `oauth_token`, `oauth_verifier`) there, and the report shows the query
string four times: the request URL, the GET section, META's QUERY_STRING and the repr of
`request` in every frame. These classes hide sensitive query parameters in all four, and
local variables named like a secret in every frame (a library's frames included).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, QueryDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SENSITIVE_PARAMETER = re.compile(r"code|state|token|verifier|secret|pass|key|signature|auth|session", re.I)
# Local variables hidden in every frame by their name, whatever the code (ours or a
# library's: django_otp's `token`, an SDK's `access_token`), marked or not.
SENSITIVE_VARIABLE = re.compile(
    r"token|secret|passw|verifier|credential|private|^code$|auth_code|^key$|key_ring|^otp|^pin$", re.I
)
SUBSTITUTE = SafeExceptionReporterFilter.cleansed_substitute
QUERY_META = ("QUERY_STRING", "REQUEST_URI", "RAW_URI")


def cleanse_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(key, SUBSTITUTE if SENSITIVE_PARAMETER.search(key) else value) for key, value in pairs], safe="*"
    )


def cleanse_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=cleanse_query(parts.query))) if parts.query else url


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """DEFAULT_EXCEPTION_REPORTER_FILTER: also the query string, in META and in frames, and
    every local variable named like a secret."""

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        return [(name, SUBSTITUTE if SENSITIVE_VARIABLE.search(name) else value) for name, value in variables]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for key in QUERY_META:
            if isinstance(meta.get(key), str):
                meta[key] = cleanse_url(meta[key]) if "?" in meta[key] else cleanse_query(meta[key])
        return meta

    def cleanse_special_types(self, request, value):
        if isinstance(value, HttpRequest):
            return f"<{type(value).__name__}: {value.method} {value.path!r}>"
        if isinstance(value, QueryDict):
            cleansed = value.copy()
            for key in cleansed:
                if SENSITIVE_PARAMETER.search(key):
                    cleansed.setlist(key, [SUBSTITUTE])
            value = cleansed
        return super().cleanse_special_types(request, value)


class SecretsExceptionReporter(ExceptionReporter):
    """DEFAULT_EXCEPTION_REPORTER: the request URL and GET section, cleansed."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            if "request_GET_items" in data:
                data["request_GET_items"] = [
                    (key, SUBSTITUTE if SENSITIVE_PARAMETER.search(key) else value)
                    for key, value in self.request.GET.items()
                ]
            if data.get("request_insecure_uri"):
                data["request_insecure_uri"] = cleanse_url(data["request_insecure_uri"])
        return data
