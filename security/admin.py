"""Administrators' hands on the second factor and on login lockouts, in the Django admin.

- Enrolment grants: open enrolment for one user (the "add" page, `?user=<id>` to choose
  them: the staff pages link there), see every grant and what became of it, withdraw an
  open one. Opening is the only way a privileged user without an app may enrol one.
- Authenticator devices: see and delete (a lost phone), or "reset and open enrolment" in
  one action. Never a device's key or QR code (OTP_ADMIN_HIDE_SENSITIVE_DATA), never
  adding or changing one: the user enrols their own phone under a grant.
- Lockouts: see and delete (unlocking a username early).

Every write goes through security/services/, which asks the policy and audits."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from diplomacy_hub import policy
from security import services
from security.models import EnrolmentGrant
from security.two_factor import GRANT_LIFETIME


class _StaffManagersMayViewAndDelete:
    def has_module_permission(self, request) -> bool:
        return policy.can(request.user, "staff.manage")

    def has_view_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, "staff.manage")

    def has_delete_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, "staff.manage")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _deadline(grant: EnrolmentGrant) -> str:
    return formats.date_format(timezone.localtime(grant.expires_at), "DATETIME_FORMAT")


class DeviceAdmin(_StaffManagersMayViewAndDelete, TOTPDeviceAdmin):
    actions = ["reset_and_open_enrolment"]

    @admin.action(
        permissions=["delete"],
        description=gettext_lazy("Reset the owners' authenticator apps and open a new enrolment for them"),
    )
    def reset_and_open_enrolment(self, request, queryset) -> None:
        """Each selected device's owner loses every app they have (audited `auth.otp_reset`)
        and may enrol a new one under a new grant (`auth.otp_grant_open`)."""
        user_ids = sorted(set(queryset.values_list("user_id", flat=True)))
        for user_id in user_ids:
            grant = services.devices_reset(user_id=user_id, actor=request.user, open_enrolment=True)
            self.message_user(
                request,
                _(
                    "%(user)s's authenticator app was reset. They may enrol a new one "
                    "at their next login, until %(deadline)s."
                )
                % {"user": grant.user.get_username(), "deadline": _deadline(grant)},
                messages.SUCCESS,
            )


class LockoutAdmin(_StaffManagersMayViewAndDelete, AccessAttemptAdmin):
    pass


class EnrolmentGrantOpenForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        label=gettext_lazy("User"),
        help_text=gettext_lazy(
            "They may set up an authenticator app once, at their next login, until the "
            "enrolment expires. Open it when they are ready to do so."
        ),
    )


@admin.register(EnrolmentGrant)
class EnrolmentGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "current_status", "opened_by", "opened_at", "expires_at", "closed_at", "closed_by"]
    list_filter = ["status"]
    list_select_related = ["user", "opened_by", "closed_by"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    actions = ["withdraw"]
    add_form_template = "admin/security/enrolmentgrant/open.html"

    def has_module_permission(self, request) -> bool:
        return policy.can(request.user, "staff.manage")

    def has_view_permission(self, request, obj=None) -> bool:
        return policy.can(request.user, "staff.manage")

    def has_add_permission(self, request) -> bool:
        return policy.can(request.user, "staff.manage")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a grant is opened, used, withdrawn or expires: never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of who let whom enrol, and when, stays

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def current_status(self, grant: EnrolmentGrant) -> str:
        if grant.status == EnrolmentGrant.Status.OPEN and not grant.is_open():
            return EnrolmentGrant.Status.EXPIRED.label
        return grant.get_status_display()

    @admin.action(permissions=["add"], description=gettext_lazy("Withdraw the selected open enrolments"))
    def withdraw(self, request, queryset) -> None:
        withdrawn = 0
        for grant_id in queryset.filter(status=EnrolmentGrant.Status.OPEN).values_list("pk", flat=True):
            services.enrolment_grant_withdraw(grant_id=grant_id, actor=request.user)
            withdrawn += 1
        self.message_user(
            request,
            ngettext("%(count)d enrolment withdrawn.", "%(count)d enrolments withdrawn.", withdrawn)
            % {"count": withdrawn},
            messages.SUCCESS,
        )

    def add_view(self, request, form_url="", extra_context=None):
        """ "Add" is opening enrolment for a user (`?user=<id>` chooses them), through the
        service: a confirmation page, then the grant."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = EnrolmentGrantOpenForm(request.POST or None, initial={"user": request.GET.get("user")})
        if request.method == "POST" and form.is_valid():
            try:
                grant, created = services.enrolment_grant_open(user_id=form.cleaned_data["user"].pk, actor=request.user)
            except services.GrantRefused as error:
                form.add_error("user", error)
            else:
                text = (
                    _(
                        "Enrolment is open for %(user)s until %(deadline)s: they set up their authenticator "
                        "app at their next login."
                    )
                    if created
                    else _("Enrolment was already open for %(user)s, until %(deadline)s.")
                )
                self.message_user(
                    request, text % {"user": grant.user.get_username(), "deadline": _deadline(grant)}, messages.SUCCESS
                )
                changelist = reverse("admin:security_enrolmentgrant_changelist", current_app=self.admin_site.name)
                return HttpResponseRedirect(f"{changelist}?user__id__exact={grant.user_id}")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Open enrolment for an authenticator app"),
            "opts": self.model._meta,
            "form": form,
            "lifetime_hours": round(GRANT_LIFETIME.total_seconds() / 3600),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.add_form_template, context)


for model, model_admin in ((TOTPDevice, DeviceAdmin), (AccessAttempt, LockoutAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
