"""Where message templates come from: the operator's folder first, file by file, then the ones shipped in the package.

Templates were once flat (`launch_card.json.j2`); they now live in a folder per domain
(`launches/card.json.j2`). An operator's folder that still uses an old name keeps working for one
release, with a warning in the log, and templates may still import the old macro file names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from jinja2 import BaseLoader, Environment, FileSystemLoader, PackageLoader, TemplateNotFound

log = logging.getLogger(__name__)

# Old flat name → new name. Read until the release after 0.2.
LEGACY_NAMES = {
    "_launch_macros.j2": "launches/_macros.j2",
    "_owner_macros.j2": "directory/_macros.j2",
    "launch_board.json.j2": "launches/board.json.j2",
    "launch_card.json.j2": "launches/card.json.j2",
    "launch_changed.json.j2": "launches/changed.json.j2",
    "launch_help.json.j2": "launches/help.json.j2",
    "launch_update.json.j2": "launches/update.json.j2",
    "launch_update_form.json.j2": "launches/update_form.json.j2",
    "update_not_posted.json.j2": "launches/update_not_posted.json.j2",
    "owner_card.json.j2": "directory/card.json.j2",
    "owner_not_found.json.j2": "directory/not_found.json.j2",
    "owner_list.json.j2": "common/list.json.j2",
    "notice.json.j2": "common/notice.json.j2",
    "release_announcement.json.j2": "releases/announcement.json.j2",
    "release_form.json.j2": "releases/form.json.j2",
    "delivery_failed.json.j2": "releases/delivery_failed.json.j2",
    "subscription_stopped.json.j2": "releases/subscription_stopped.json.j2",
    "digest.json.j2": "digests/digest.json.j2",
    "home.json.j2": "home/home.json.j2",
}
OLD_NAMES = {new: old for old, new in LEGACY_NAMES.items()}

Source = tuple[str, str | None, Callable[[], bool] | None]


class TemplateLoader(BaseLoader):
    """The operator's override folder (new names, then old ones), then the built-in templates."""

    def __init__(self, override: Path | None) -> None:
        self.override = FileSystemLoader(override) if override else None
        self.builtin = PackageLoader("bot", "templates")
        self._warned: set[str] = set()

    def get_source(self, environment: Environment, template: str) -> Source:
        name = LEGACY_NAMES.get(template, template)
        if self.override is not None:
            for candidate in (name, OLD_NAMES.get(name)):
                if candidate is None:
                    continue
                try:
                    source = self.override.get_source(environment, candidate)
                except TemplateNotFound:
                    continue
                if candidate != name:
                    self._warn_old_name(candidate, name)
                return source
        return self.builtin.get_source(environment, name)

    def list_templates(self) -> list[str]:
        return self.builtin.list_templates()

    def _warn_old_name(self, old: str, new: str) -> None:
        if old not in self._warned:
            self._warned.add(old)
            log.warning("HERALD_TEMPLATES_DIR: %s is the old name of %s; rename it, old names are read "
                        "until the next release", old, new)
