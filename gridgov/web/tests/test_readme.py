"""The README stands on its own: every file it links or names by a relative path is in the
repository."""

import re
from pathlib import Path

from django.test import SimpleTestCase

REPO = Path(__file__).resolve().parents[3]


class ReadmeLinkTests(SimpleTestCase):
    def test_relative_links_and_paths_stay_inside_the_repository(self):
        readme = (REPO / "README.md").read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)#\s]+)[^)]*\)", readme)
        # Paths in code spans are mostly what gridgov makes where it runs (./var/); one that
        # climbs out (../) names something beside the repository.
        targets += re.findall(r"`(\.\./[^`\s]+)`", readme)
        outside, missing = [], []
        for target in targets:
            if re.match(r"^[a-z]+:", target) or target.startswith("/"):
                continue  # http(s):, mailto:, or a page of the running site
            path = (REPO / target).resolve()
            if not path.is_relative_to(REPO):
                outside.append(target)
            elif not path.exists():
                missing.append(target)
        self.assertEqual(outside, [])
        self.assertEqual(missing, [])
        self.assertIn("docs/design.md", targets)
