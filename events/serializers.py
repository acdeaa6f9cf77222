"""API representation of an event."""

from __future__ import annotations

from rest_framework import serializers

from events.models import Event


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    request = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Event
        fields = ("id", "verb", "actor", "product", "community", "request", "data", "created_at")
