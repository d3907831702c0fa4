"""Small console helpers: run an action and show its refusal, show customer words.

An action that fails — refused by role, illegal in the alert's state, or with the
database or Redis away — becomes one red line on the page, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from alerts.lifecycle import AlertError
from dashboard.i18n import t
from dashboard.services import ServiceDown, guarded
from dashboard.users import PermissionDenied

T = TypeVar("T")


def run_action(call: Callable[[], T]) -> T | None:
    """``call()``'s result, or ``None`` after showing why it was refused."""
    try:
        return guarded(call)
    except (AlertError, PermissionDenied) as exc:
        st.error(str(exc))
    except ServiceDown as exc:
        st.error(f"{t(f'banner.{exc.part}_down', time='—')} ({exc})")
    return None


def show_verbatims(verbatims: Sequence[str]) -> None:
    """Customer words as plain text (``st.text``): never Markdown, never HTML."""
    if not verbatims:
        st.caption("—")
    for text in dict.fromkeys(verbatims):
        st.text(f"“{text}”")
