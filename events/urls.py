from django.urls import path

from events import views
from events.feeds import EventsFeed, PersonalFeed

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("feeds/events.atom", EventsFeed(), name="feed"),
    path("feeds/me/<int:user_id>/<str:key>.atom", PersonalFeed(), name="personal-feed"),
]
