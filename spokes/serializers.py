"""API representations of communities and policy sets (DESIGN §6).

Read serializers never query: the viewsets prefetch roles, the governance body and its
seats, and the effective policies of a whole page are computed in bulk.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.validation import validate_web_url
from peso_registry.fields import AbsoluteURLField
from spokes.models import (
    LEAD_ROLES,
    Community,
    GovernanceBody,
    Policy,
    PolicySet,
    Seat,
    effective_policies_by_set,
)

User = get_user_model()


class SeatSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    represents = serializers.ChoiceField(
        choices=Seat.Represents.choices, default=Seat.Represents.PRODUCT_TEAM
    )

    class Meta:
        model = Seat
        fields = ("user", "represents", "represents_name", "term_start", "term_end")


class GovernanceSerializer(serializers.ModelSerializer):
    seats = SeatSerializer(many=True, required=False)

    class Meta:
        model = GovernanceBody
        fields = ("name", "quorum", "threshold", "requires_vote", "seats")


class GovernanceReadSerializer(GovernanceSerializer):
    """The governance body as read: also how it decides, and the source of that."""

    class Meta(GovernanceSerializer.Meta):
        fields = (*GovernanceSerializer.Meta.fields, "decision_rule", "source")
        read_only_fields = ("decision_rule", "source")


class NamedLeadSerializer(serializers.Serializer):
    """A lead the sources name, as a person (they may have no account here)."""

    name = serializers.CharField()
    role = serializers.CharField(required=False)
    source = serializers.CharField(required=False)


class RoleSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.username")
    role = serializers.CharField()


class MemberCountsSerializer(serializers.Serializer):
    active = serializers.IntegerField()
    offramped = serializers.IntegerField()
    sunsetting = serializers.IntegerField()


class CommunitySerializer(serializers.ModelSerializer):
    """A community (the hub, a spoke or a community of practice) as read."""

    # Needs the viewset's queryset (annotations and prefetches). (The docstring is the
    # schema's description.)

    url = serializers.HyperlinkedIdentityField(
        view_name="api-community-detail", lookup_field="slug"
    )
    html_url = AbsoluteURLField(source="get_absolute_url")
    policy_set = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    leads = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    governance = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(
        read_only=True, help_text="Products with an active membership."
    )
    member_counts = serializers.SerializerMethodField()
    named_leads = NamedLeadSerializer(
        many=True,
        read_only=True,
        help_text="Leads the sources name, as people; `leads` are the accounts holding a role.",
    )

    class Meta:
        model = Community
        fields = (
            "slug",
            "name",
            "full_name",
            "kind",
            "summary",
            "area",
            "website",
            "charter",
            "status",
            "status_note",
            "policy_set",
            "requires_interoperability",
            "leads",
            "roles",
            "governance",
            "member_count",
            "member_counts",
            "created_at",
            "updated_at",
            "url",
            "html_url",
            # Provenance (DESIGN §11): where the status, policy set and origin come from.
            "status_source",
            "status_inferred",
            "policy_set_source",
            "policy_set_inferred",
            "origin",
            "origin_source",
            "category",
            "named_leads",
            "sources",
            "seed_ref",
        )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_leads(self, obj: Community) -> list[str]:
        """Usernames of the leads and co-leads."""
        return sorted({r.user.username for r in obj.roles.all() if r.role in LEAD_ROLES})

    @extend_schema_field(RoleSerializer(many=True))
    def get_roles(self, obj: Community) -> list[dict]:
        return RoleSerializer(obj.roles.all(), many=True).data

    @extend_schema_field(GovernanceReadSerializer(allow_null=True))
    def get_governance(self, obj: Community) -> dict | None:
        try:
            body = obj.governance
        except GovernanceBody.DoesNotExist:
            return None
        return GovernanceReadSerializer(body).data

    @extend_schema_field(MemberCountsSerializer)
    def get_member_counts(self, obj: Community) -> dict:
        return {
            "active": obj.member_count,
            "offramped": obj.offramped_count,
            "sunsetting": obj.sunsetting_count,
        }


class CommunityWriteSerializer(serializers.ModelSerializer):
    policy_set = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=PolicySet.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of the policy set every member must meet.",
    )
    governance = GovernanceSerializer(
        required=False,
        help_text="Creates or changes the governance body; `seats` (when given) replaces "
        "the seats.",
    )

    class Meta:
        model = Community
        fields = (
            "slug",
            "name",
            "full_name",
            "summary",
            "area",
            "website",
            "charter",
            "status",
            "status_note",
            "policy_set",
            "requires_interoperability",
            "governance",
        )

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A community's slug cannot be changed.")
        return value


class PolicySerializer(serializers.ModelSerializer):
    url = serializers.URLField(source="source_url", read_only=True)
    policy_set = serializers.CharField(source="policy_set.slug", read_only=True)
    adapts = serializers.CharField(source="adapts.code", read_only=True, allow_null=True)
    inherited = serializers.BooleanField(read_only=True)

    class Meta:
        model = Policy
        fields = (
            "code",
            "title",
            "summary",
            "level",
            "url",
            "inherited",
            "policy_set",
            "version",
            "adapts",
        )


class PolicySetListSerializer(serializers.ListSerializer):
    """Computes the effective policies of the whole page in bulk."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self._context.setdefault("effective", {}).update(effective_policies_by_set(items))
        return super().to_representation(items)


class PolicySetSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api-policyset-detail", lookup_field="slug"
    )
    html_url = AbsoluteURLField(source="get_absolute_url")
    base = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    policies = serializers.SerializerMethodField()

    class Meta:
        model = PolicySet
        list_serializer_class = PolicySetListSerializer
        fields = (
            "slug",
            "name",
            "version",
            "base",
            "owner",
            "description",
            "adopted",
            "sources",
            "policies",
            "url",
            "html_url",
        )

    def to_representation(self, instance):
        effective = self.context.setdefault("effective", {})
        if instance.pk not in effective:
            effective.update(effective_policies_by_set([instance]))
        return super().to_representation(instance)

    @extend_schema_field(PolicySerializer(many=True))
    def get_policies(self, obj: PolicySet) -> list[dict]:
        """The effective policies of the version in force; `inherited` marks the base's."""
        rows = []
        for policy, inherited in self.context["effective"].get(obj.pk, []):
            data = PolicySerializer(policy).data
            data["inherited"] = inherited
            rows.append(data)
        return rows


class PolicyWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=Policy.Level.choices, default=Policy.Level.MANDATORY)
    url = serializers.URLField(
        source="source_url",
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_web_url],
    )
    adapts = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Code of the base set's policy this one replaces.",
    )


class PolicySetWriteSerializer(serializers.ModelSerializer):
    base = serializers.SlugRelatedField(
        slug_field="slug", queryset=PolicySet.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="slug", queryset=Community.objects.all(), required=False, allow_null=True
    )
    # A list of strings, as the catalog format has it (a bare JSONField took any JSON in
    # the schema, yet refused null).
    sources = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="URLs the facts come from."
    )
    policies = PolicyWriteSerializer(
        many=True,
        required=False,
        help_text="The set's own policies of the version in force, in order. Listed codes "
        "are created or updated; unlisted ones without assessments are removed. Changing "
        "`version` requires this list (the old version's policies stay).",
    )

    class Meta:
        model = PolicySet
        fields = (
            "slug",
            "name",
            "version",
            "base",
            "owner",
            "description",
            "adopted",
            "sources",
            "policies",
        )

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A policy set's slug cannot be changed.")
        return value
