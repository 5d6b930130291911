"""The REST API, ``/api/v1/``: how to add endpoints.

Each app keeps its endpoints in ``openbill/<app>/api/`` (``serializers.py``, ``views.py``,
``urls.py``); ``openbill/api/urls.py`` includes every ``<app>/api/urls.py`` that exists, at the
root of ``/api/v1/``. Domain code never imports the API. Copy ``openbill/services/api/``.

1. Scope every query to the caller. A view over a client's data mixes in
   ``openbill.api.base.ClientScopedMixin`` (authenticated + has a client account; staff users
   without one get 403) and starts ``get_queryset`` from ``self.client``::

       class ServiceViewSet(ClientScopedMixin, viewsets.ReadOnlyModelViewSet[Service]):
           queryset = Service.objects.none()   # the model, for the schema only
           filterset_class = ServiceFilterSet

           def get_queryset(self) -> QuerySet[Service]:
               return selectors.client_services(self.client)

   Another client's id is then simply not found: 404, never 403. Look objects up with
   ``self.get_object()`` or ``rest_framework.generics.get_object_or_404(<scoped queryset>,
   pk=pk)`` (DRF's, which turns a malformed id into 404 too). Views over the user rather than a
   client (tokens) scope by ``request.user``. Declare ``queryset = Model.objects.none()`` on the
   class: drf-spectacular reads the model from it without calling ``get_queryset``.

2. State changes are verb endpoints that call one domain action, then render::

       @extend_schema(request=None, responses=ServiceDetailSerializer)
       @action(detail=True, methods=["post"])
       def suspend(self, request: Request, pk: str | None = None) -> Response:
           service = self.get_object()
           actions.suspend(service, reason=SuspendReason.CLIENT, actor=Actor.client_of(request),
                           now=timezone.now())
           return Response(ServiceDetailSerializer(service, context=...).data)

   Parse input with a serializer (``is_valid(raise_exception=True)``); never accept price,
   status, balance or client from the body. Money-moving POSTs take an ``Idempotency-Key``
   header (core.models.IdempotencyRecord) and set ``extra_error_statuses = (402,)`` when they
   can run out of funds.

3. Errors: raise ``openbill.core.errors.DomainError(message, field="name")`` (400),
   ``InsufficientFunds`` (402), ``NotAllowed`` (403), ``IllegalTransition`` / ``Conflict``
   (409) from the action; ``openbill/api/exceptions.py`` turns each into
   ``{"detail": …, "code": …, "<field>": [message]}``. Serializer, filter and pagination errors
   become 400 keyed by the field. Do not catch domain errors in views. Errors from outside a view
   (routing, middleware, crashes, oversized bodies) get the same shape from
   ``openbill.api.middleware``; a 5xx carries a ``request_id``. To restrict a view to JSON, use
   ``parser_classes = [openbill.api.parsers.JSONParser]`` (never DRF's own: ours refuses over-deep
   nesting and text with NUL or lone surrogates as a 400).

4. The schema documents errors by itself (``openbill.api.schema.AutoSchema``): 401/403/429 for
   authenticated operations, 404 for paths with an id, 400 for query parameters or a body, 409
   for writes (``may_conflict = False`` on a view whose writes cannot conflict), 402 for
   writes of views with ``extra_error_statuses = (402,)``, 409/422 with an ``Idempotency-Key``;
   add others with ``extra_error_statuses`` on the view or
   ``extend_schema(responses={…, **error_responses(402)})``. Give every serializer method field
   an ``@extend_schema_field`` and run
   ``python -m openbill.cli spectacular --validate --fail-on-warn``:
   ``openbill/api/tests/test_schemathesis.py`` fuzzes the whole schema and fails on any 5xx or
   undocumented status.

5. Lists are paginated by ``?limit=`` (1–200) and ``?offset=`` (``openbill.api.pagination``);
   filters are django-filter FilterSets (``filterset_class``; a FilterSet whose ``__init__``
   takes ``client=`` receives the caller's). Keep queries constant per page
   (``select_related`` / ``prefetch_related`` in the selector) and add a query-count test that
   compares N and 2N objects, and a cross-tenant test (alice gets 404 for bob's ids).

6. Money in bodies is a decimal string in one format: declare it with
   ``openbill.api.fields.MoneyField`` (``@extend_schema_field(MoneyField())`` on a method field),
   render it with ``money_string`` (rounded to the currency) or ``price_string`` (catalog
   prices), with a ``CurrencyField`` beside it; quantities are ``DecimalStringField``. A closed
   set of values is a ``ChoiceField`` over a ``TextChoices`` (a named enum; name it in
   ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]`` if drf-spectacular asks). Never
   ``OpenApiTypes.DECIMAL`` (a float in the schema). User-facing strings go through gettext.

7. ``openbill/api/tests/test_conformance.py`` calls every operation on real data and validates
   each answer against the schema; add a step there for a new endpoint (it fails until you do).

Authentication: session (with CSRF) or ``Authorization: Bearer <token>``, one class for every
kind of token (``openbill.api.authentication``): a user's ``obt_…`` or a provider's ``obp_…``.
Which callers a view takes is its permission (``openbill.api.permissions``): ``IsUser`` (the
default), ``IsStaff`` for the staff API, ``IsProviderMeter`` for usage ingestion; a valid token
of the wrong kind is a 403. Unknown tokens are throttled per address (429).
"""
