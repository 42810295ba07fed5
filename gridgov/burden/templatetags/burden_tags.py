from django import template

from gridgov.burden import services

register = template.Library()


@register.filter
def has_burden_part(user) -> bool:
    """For the header's menu on every page: senders and the streets and communities that
    answer. Not asked of the permission (queries.has_part) to spare every page two
    queries; the burden office is a street's or district's staff or leaders, who send or
    answer anyway."""
    return services.may_send(user) or services.may_answer(user)
