"""manage.py grant_role."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from events.models import Event
from spokes import access as spokes_access
from spokes.models import CommunityRole
from tests.conftest import make_community, make_user


@pytest.mark.django_db
def test_grant_role_makes_a_lead_once():
    user = make_user("erin")
    community = make_community("xsdk")
    out = io.StringIO()
    call_command("grant_role", "erin", "xsdk", "lead", stdout=out)
    assert "erin is now lead of xsdk" in out.getvalue()
    assert spokes_access.is_community_lead(user, community)
    call_command("grant_role", "erin", "xsdk", "lead", stdout=io.StringIO())
    assert CommunityRole.objects.filter(user=user).count() == 1
    assert Event.objects.filter(verb="role_granted", community=community).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [("ghost", "xsdk", "lead"), ("erin", "ghost", "lead"), ("erin", "xsdk", "emperor")],
)
def test_grant_role_refuses_unknown_names(args):
    make_user("erin")
    make_community("xsdk")
    with pytest.raises(CommandError):
        call_command("grant_role", *args, stdout=io.StringIO(), stderr=io.StringIO())
