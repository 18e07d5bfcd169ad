"""The audit log in the Django admin: read only, for administrators, for everyone. No add,
change or delete, whatever the user's permissions or superuser status, and no actions."""

from django.contrib import admin

from audit.models import AuditEvent
from diplomacy_hub import policy


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_label", "source_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_label", "object_id")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    actions = None
    show_full_result_count = False

    def has_module_permission(self, request) -> bool:
        return policy.can(request.user, "audit.view")

    def has_view_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, "audit.view")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
