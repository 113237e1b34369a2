from django.urls import path

from activecitizen.news import feeds, views

app_name = "news"

urlpatterns = [
    path("", views.news_list, name="list"),
    path("stories/", views.stories, name="stories"),
    path("rss/", feeds.NewsRssFeed(), name="rss"),
    path("atom/", feeds.NewsAtomFeed(), name="atom"),
    path("rss/<slug:kind>/", feeds.NewsRssFeed(), name="rss_kind"),
    path("atom/<slug:kind>/", feeds.NewsAtomFeed(), name="atom_kind"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscription/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscription/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("subscription/<str:token>/", views.preferences, name="subscription"),
    path("<slug:slug>/", views.item, name="item"),
]
