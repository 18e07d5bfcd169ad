from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from channels import services
from channels.models import SocialAccount
from embassies.admin import PolicyAdminMixin


@admin.register(SocialAccount)
class SocialAccountAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only: accounts are registered, connected and disconnected through the services
    (from the social accounts pages), which check, audit and seal. The sealed credentials
    are never shown, not even as ciphertext."""

    manage_action = "account.manage"
    list_display = [
        "mission",
        "network",
        "handle",
        "status",
        "is_sandbox",
        "token_expires_at",
        "last_checked_at",
        "last_check_result",
    ]
    list_filter = ["network", "status", "is_sandbox", "mission__region"]
    search_fields = ["handle", "display_name", "network_account_id", "mission__name", "mission__code"]
    list_select_related = ["mission"]
    exclude = ["sealed_credentials"]
    readonly_fields = [
        "mission",
        "network",
        "handle",
        "display_name",
        "network_account_id",
        "status",
        "is_sandbox",
        "token_expires_at",
        "last_checked_at",
        "last_check_result",
        "created_at",
        "updated_at",
    ]
    actions = ["disable_accounts", "check_accounts"]
    list_per_page = 100

    def get_fields(self, request, obj=None):
        return [name for name in self.readonly_fields if name != "sealed_credentials"]

    def has_add_permission(self, request) -> bool:
        return False  # register from the social accounts page: the service audits it

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # change through the services' actions only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deliveries point at accounts: disable or disconnect instead

    @admin.action(description=_("Disable the selected accounts"))
    def disable_accounts(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        for account_id in ids:
            services.account_disable(actor=request.user, account_id=account_id)
        text = ngettext("%d account disabled.", "%d accounts disabled.", len(ids)) % len(ids)
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Check the selected accounts now"))
    def check_accounts(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        services.account_health_check_queue(account_ids=ids)
        text = ngettext("%d check queued.", "%d checks queued.", len(ids)) % len(ids)
        self.message_user(request, text, messages.INFO)
