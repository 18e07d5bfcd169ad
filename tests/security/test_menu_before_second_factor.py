"""A session that still owes its second factor sees no menu: every page would send it back
to the code."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from embassies.roles import Role
from tests.factories import UserFactory
from tests.security.otp import PASSWORD, fresh_code, totp_device

pytestmark = pytest.mark.django_db


def test_no_menu_until_the_second_factor_is_entered():
    press = UserFactory(roles=[Role.PRESS_OFFICE])
    device = totp_device(press)
    client = Client()
    response = client.post(reverse("login"), {"username": press.get_username(), "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("security:otp_verify"))
    assert 'class="main-nav"' not in response.text
    assert reverse("password_change") not in response.text
    assert "Log out" in response.text  # the way out stays
    response = client.post(reverse("security:otp_verify"), {"token": fresh_code(device)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("posts:dashboard")
    assert 'class="main-nav"' in response.text
    assert reverse("password_change") in response.text


def test_no_menu_on_the_enrolment_page_either():
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("security:otp_setup"))
    assert response.status_code == 200
    assert 'class="main-nav"' not in response.text
