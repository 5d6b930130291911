app_name = "clientarea"
urlpatterns: list = []
