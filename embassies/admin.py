from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from diplomacy_hub import policy
from embassies.models import Mission, StaffMembership


class PolicyAdminMixin:
    """Admin pages ask the policy module, like every other entry point."""

    manage_action = "mission.manage"

    def has_module_permission(self, request) -> bool:
        return policy.can(request.user, self.manage_action)

    def has_view_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, self.manage_action)

    def has_add_permission(self, request) -> bool:
        return policy.can(request.user, self.manage_action)

    def has_change_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, self.manage_action)

    def has_delete_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, self.manage_action)


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Mission)
class MissionAdmin(PolicyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "city", "country_code", "region", "language_list", "local_time", "is_active"]
    list_filter = ["kind", "region", "country_code", "is_active"]
    search_fields = ["code", "name", "city", "country_code"]
    ordering = ["region", "country_code", "city"]
    inlines = [StaffMembershipInline]
    list_per_page = 100

    # Missions are registered, deactivated, never deleted: messages and the audit trail
    # point at them.
    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("languages"))
    def language_list(self, mission: Mission) -> str:
        return ", ".join(mission.languages)

    @admin.display(description=_("local time"))
    def local_time(self, mission: Mission) -> str:
        return timezone.localtime(timezone=mission.zone).strftime("%H:%M")


@admin.register(StaffMembership)
class StaffMembershipAdmin(PolicyAdminMixin, admin.ModelAdmin):
    manage_action = "staff.manage"
    list_display = ["user", "mission", "created_at"]
    list_filter = ["mission__region"]
    search_fields = ["user__username", "user__email", "mission__name", "mission__code"]
    autocomplete_fields = ["user", "mission"]
    list_select_related = ["user", "mission"]
