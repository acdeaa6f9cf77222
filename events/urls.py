from django.urls import path

from events import views
from events.feeds import EventsFeed

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("feeds/events.atom", EventsFeed(), name="feed"),
]
