"""What a user account is, as the permission rules of DESIGN §5 see it.

The lowest rules every app builds on: a signed-in, active user, and a hub admin. They read
only the user row, so any layer may ask them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def is_signed_in(user: AbstractBaseUser | None) -> bool:
    """An authenticated, active user (deny by default: anonymous and inactive users are not)."""
    return bool(user and user.is_authenticated and user.is_active)


def is_hub_admin(user: AbstractBaseUser | None) -> bool:
    """Hub admins (Django staff or superusers) may do everything."""
    return is_signed_in(user) and bool(user.is_staff or user.is_superuser)
