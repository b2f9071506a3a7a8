"""The two ways alerting fails, kept apart because callers handle them apart.

AlertError: a request that cannot be carried out (bad channel settings, unknown delivery);
the caller fixes its input. DeliveryError: a peer (webhook receiver, SMTP server) did not
take an alert; the sender retries it later. Neither message ever holds an alert's body,
a recipient's answer or any value from a leak: they end up in logs and on web pages.
"""

from leakwatch.matchers.errors import LeakwatchError


class AlertError(LeakwatchError, ValueError):
    """Bad alert settings or an unknown delivery; the message says what to fix."""


class DeliveryError(LeakwatchError):
    """One delivery attempt failed; the message is a short reason (status code or exception class)."""
