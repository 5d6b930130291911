from openbill.payments.tests.stripe_helpers import sink, stripe_on  # noqa: F401  (fixtures)
