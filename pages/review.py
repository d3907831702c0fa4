"""Placeholder until the page lands."""

from dashboard.page import page_setup

page_setup("viewer")
