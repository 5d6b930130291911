"""Routes of the domains API under /api/v1/."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("domains/", views.DomainListView.as_view(), name="api-domains"),
    path("domains/check/", views.CheckView.as_view(), name="api-domain-check"),
    path("domains/order/", views.OrderView.as_view(), name="api-domain-order"),
    path("domains/contacts/", views.ContactListView.as_view(), name="api-domain-contacts"),
    path("domains/contacts/<int:pk>/", views.ContactView.as_view(), name="api-domain-contact"),
    path("domains/<int:pk>/", views.DomainView.as_view(), name="api-domain"),
    path("domains/<int:pk>/ns/", views.NsView.as_view(), name="api-domain-ns"),
    path("domains/<int:pk>/contacts/", views.DomainContactsView.as_view(), name="api-domain-contacts-replace"),
    path("domains/<int:pk>/whois/", views.WhoisView.as_view(), name="api-domain-whois"),
    path("domains/<int:pk>/verify/", views.VerifyView.as_view(), name="api-domain-verify"),
    path("domains/<int:pk>/restore/", views.RestoreView.as_view(), name="api-domain-restore"),
    path("domains/<int:pk>/delegation/", views.DelegationView.as_view(), name="api-domain-delegation"),
]
