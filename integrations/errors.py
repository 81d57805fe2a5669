"""How a partner call failed, which decides whether the outbox retries.

PartnerError
├── PartnerUnavailable   network error, timeout or 5xx: retry with back-off
└── PartnerRejected      4xx: the request itself is wrong; retrying will not help
"""


class PartnerError(Exception):
    pass


class PartnerUnavailable(PartnerError):
    pass


class PartnerRejected(PartnerError):
    pass
