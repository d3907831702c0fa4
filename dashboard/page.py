"""What every page does first: theme, the role check, the sidebar (language, user).

Pages (the wall, the console, the review, and H6's listen and radio pages) start
with ``user = page_setup("lead")`` and then only lay out widgets and call services.
"""

from __future__ import annotations

from dashboard import theme
from dashboard.auth import require_role, user_box
from dashboard.i18n import Language, current_language, language_switch
from dashboard.services import freeze_heap, get_settings
from dashboard.users import Role, User


def page_setup(role: Role | str, *, kiosk_allowed: bool = False) -> tuple[User, Language]:
    """Apply the theme, stop unless the visitor's role allows ``role``, draw the sidebar.

    ``kiosk_allowed``: the page honours ``?kiosk=1`` (no chrome, no sidebar)."""
    freeze_heap()
    settings = get_settings()
    kiosk = kiosk_allowed and theme.is_kiosk()
    theme.apply(kiosk, wall=kiosk_allowed)
    user = require_role(role, kiosk_allowed=kiosk_allowed)
    if not kiosk:
        language_switch(settings.language)
        user_box(user)
    return user, current_language(settings.language)
