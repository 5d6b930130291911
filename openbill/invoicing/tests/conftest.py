from openbill.api.tests.conftest import alice_api, bob_api  # noqa: F401  (fixtures)
from openbill.clientarea.tests.conftest import alice_http, bob_http  # noqa: F401  (fixtures)
