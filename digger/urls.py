from django.urls import path

from . import views

app_name = "digger"
urlpatterns = [
    path("", views.index, name="index"),
    path("searches/", views.search_list, name="search_list"),
    path("searches/new/", views.search_create, name="search_create"),
    path("searches/<int:pk>/", views.search_detail, name="search_detail"),
    path("searches/<int:pk>/edit/", views.search_edit, name="search_edit"),
    path("searches/<int:pk>/delete/", views.search_delete, name="search_delete"),
    path("searches/<int:pk>/run/", views.search_run, name="search_run"),
    path("deals/", views.deals, name="deals"),
    path("collection/", views.collection, name="collection"),
    path("collection/sync/", views.collection_sync, name="collection_sync"),
    path("releases/<int:release_id>/", views.release_detail, name="release_detail"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/test/<str:service>/", views.credentials_test, name="credentials_test"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("cart/", views.cart, name="cart"),
    path("cart/preferences/", views.cart_preferences, name="cart_preferences"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/push/", views.alert_push_subscribe, name="alert_push"),
    path("alerts/channels/<int:pk>/delete/", views.alert_channel_delete, name="alert_channel_delete"),
    path("wants/<int:release_id>/alert/", views.want_alert, name="want_alert"),
    path("covers/<str:token>/", views.cover, name="cover"),
]
