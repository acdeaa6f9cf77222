"""Forms of the account page."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import signin
from accounts.models import Preferences
from peso_registry.client import client_address


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        required=False,
        help_text="What the token is for (e.g. “E4S release CI”).",
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=3650,
        required=False,
        initial=90,
        help_text="Leave empty for a token that never expires.",
    )


def _wait_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


class ThrottledSignIn:
    """Sign-in form behaviour: refused without checking the password while the account's
    or the address's wait runs (accounts/signin.py); each failure counted."""

    throttled_for = 0  # seconds the refusal asked to wait (0: not refused for that)

    def clean(self):
        username = str(self.data.get(self.add_prefix("username"), ""))
        address = client_address(self.request)
        wait = signin.wait_seconds(username=username, address=address)
        if wait:
            self.throttled_for = wait
            raise self._refusal(username, address, wait)
        try:
            cleaned = super().clean()
        except ValidationError as error:
            signin.record_failure(username=username, address=address)
            wait = signin.wait_seconds(username=username, address=address)
            if wait:
                refusal = self._refusal(username, address, wait)
                raise ValidationError([*error.error_list, refusal]) from error
            raise
        if self.get_user() is not None:
            signin.record_success(username=username)
        return cleaned

    @staticmethod
    def _refusal(username: str, address: str, wait: int) -> ValidationError:
        if signin.is_locked(username=username, address=address):
            text = (
                "Too many failed sign-ins: signing in to this account from here is locked "
                f"for {_wait_text(wait)}. Try again after that."
            )
        else:
            text = f"Too many failed sign-ins: wait {_wait_text(wait)} before trying again."
        return ValidationError(text, code="throttled")


class SignInForm(ThrottledSignIn, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    pass


class NotificationsForm(forms.Form):
    """One switch per kind of notification e-mail (``accounts.Preferences.Kind``)."""

    votes = forms.BooleanField(required=False, label=Preferences.Kind.VOTES.label)
    requests = forms.BooleanField(required=False, label=Preferences.Kind.REQUESTS.label)
    offramps = forms.BooleanField(required=False, label=Preferences.Kind.OFFRAMPS.label)

    @classmethod
    def for_preferences(cls, prefs: Preferences) -> NotificationsForm:
        return cls(initial={kind: prefs.wants(kind) for kind in Preferences.Kind.values})
