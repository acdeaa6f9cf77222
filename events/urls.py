from django.urls import path

from events import views
from events.feeds import EventsFeed

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
    path("feeds/events.atom", EventsFeed(), name="events-feed"),
]
