"""Administrators' hands on the second factor and on login lockouts, in the Django admin:
they may see and delete a user's authenticator device (the user enrols a new one at their
next login: a lost phone) and see and delete lockouts (unlocking a username early). Never a
device's key or QR code (OTP_ADMIN_HIDE_SENSITIVE_DATA), never adding or changing either."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from diplomacy_hub import policy


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


class DeviceAdmin(_StaffManagersMayViewAndDelete, TOTPDeviceAdmin):
    pass


class LockoutAdmin(_StaffManagersMayViewAndDelete, AccessAttemptAdmin):
    pass


for model, model_admin in ((TOTPDevice, DeviceAdmin), (AccessAttempt, LockoutAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
