"""Staff pages beyond Django admin: the index, two-factor authentication for staff, and the pages
each app adds."""
