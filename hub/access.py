"""Who may record, change and delete releases (DESIGN §5, §12).

E4S releases are the hub's: hub admins only. A spoke's Spack bundle versions are the
spoke's: its leads and co-leads, and hub admins. A change that moves a release to another
kind or community must be allowed on both sides (``services.update_release`` asks for the
release as it is and as it would be). Deny by default: anonymous and inactive users may do
nothing. Built on ``spokes.access``; the pages, the API and ``hub.services`` all ask here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin, is_signed_in
from hub.models import Release
from spokes.access import lead_community_ids

if TYPE_CHECKING:
    from spokes.models import Community


def can_write_release(user, *, kind: str, community: Community | None) -> bool:
    """A release of ``kind`` (for ``community``, a bundle's spoke): hub admins any; a lead
    a bundle of their own community."""
    if is_hub_admin(user):
        return True
    if kind != Release.Kind.BUNDLE or community is None:
        return False
    return community.pk in lead_community_ids(user)


def can_edit_release(user, release: Release) -> bool:
    """Change or delete ``release`` as it stands."""
    return can_write_release(user, kind=release.kind, community=release.community)


def may_record_releases(user) -> bool:
    """Whether the user may record some release at all (hub admins, and the leads of some
    community, for its bundles): the API's check before it reads a body, and the releases
    page's offer of a form. Which release is ``can_write_release``'s answer."""
    return is_signed_in(user) and (is_hub_admin(user) or bool(lead_community_ids(user)))


def bundle_communities(user) -> set[int] | None:
    """Ids of the communities whose bundles the user may record; None: every one (hub
    admins)."""
    if is_hub_admin(user):
        return None
    return lead_community_ids(user)
