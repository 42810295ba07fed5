from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Manage API tokens: `gridgov token create USERNAME [--name NAME]` prints a new token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a token and print it on the last line")
        create.add_argument("username")
        create.add_argument("--name", default="command line")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by the last 4 characters")
        revoke.add_argument("username")
        revoke.add_argument("hint")

    def handle(self, *args, verb, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user %(username)s.") % {"username": username})
        if verb == "create":
            if not user.is_active:
                raise CommandError(_("%(username)s is inactive.") % {"username": username})
            _token, raw = ApiToken.issue(user, options["name"])
            self.stderr.write(
                _("Token for %(username)s (shown once, keep it safe):") % {"username": username}
            )
            self.stdout.write(raw)
        elif verb == "list":
            for token in user.api_tokens.all():
                state = _("revoked") if token.revoked_at else _("active")
                self.stdout.write(
                    f"…{token.hint}  {token.name}  {token.created_at:%Y-%m-%d}  {state}"
                )
        else:
            from django.utils import timezone

            count = user.api_tokens.filter(hint=options["hint"], revoked_at=None).update(
                revoked_at=timezone.now()
            )
            if not count:
                raise CommandError(
                    _("No active token ending in %(hint)s.") % {"hint": options["hint"]}
                )
            self.stdout.write(_("Revoked %(count)d token(s).") % {"count": count})
