"""Changes a user makes to their own account; the client area and the API both call these."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from openbill.core.errors import DomainError

from .models import User


def set_language(user: User, language: str) -> None:
    """Save the user's language: the client area's, and the one their account mail is written in."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the offered languages."), field="language")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
