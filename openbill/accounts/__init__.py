"""Accounts: users and their logins (email and password, two-factor codes, recovery codes),
sessions, API tokens and the limits on attempts."""
