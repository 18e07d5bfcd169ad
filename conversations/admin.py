from django.contrib import admin

from conversations.models import ListenCursor
from embassies.admin import PolicyAdminMixin


@admin.register(ListenCursor)
class ListenCursorAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only: where polling of each account stands, and why it fails. The polls move
    the cursors; a person never does (a wrong cursor loses or repeats what was said)."""

    manage_action = "account.manage"
    list_display = ["account", "stream", "next_poll_at", "failures", "last_error", "last_success_at"]
    list_filter = ["account__network", "stream"]
    search_fields = ["account__handle", "account__mission__name", "last_error"]
    list_select_related = ["account", "account__mission"]
    ordering = ["-failures", "next_poll_at"]
    readonly_fields = [field.name for field in ListenCursor._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
