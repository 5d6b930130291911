"""Client-area URLs of domains (names in the ``clientarea`` namespace)."""

from django.urls import URLPattern, path

from . import views_domains

urlpatterns: list[URLPattern] = [
    path("domains/", views_domains.check, name="domains"),
    path("domains/order/", views_domains.order, name="domain_order"),
    path("domains/contacts/", views_domains.contacts, name="domain_contacts"),
    path("domains/contacts/<int:pk>/", views_domains.contact_edit, name="domain_contact"),
    path("services/<int:pk>/domain/", views_domains.service_domain, name="service_domain"),
    path("services/<int:pk>/domain/ns/", views_domains.service_ns, name="service_domain_ns"),
    path("services/<int:pk>/domain/contacts/", views_domains.service_contacts, name="service_domain_contacts"),
    path("services/<int:pk>/domain/whois/", views_domains.service_whois, name="service_domain_whois"),
    path("services/<int:pk>/domain/verify/", views_domains.service_verify, name="service_domain_verify"),
    path("services/<int:pk>/domain/restore/", views_domains.service_restore, name="service_domain_restore"),
    path("services/<int:pk>/domain/delegation/", views_domains.service_delegation, name="service_domain_delegation"),
]
