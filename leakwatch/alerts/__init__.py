"""Alerts: warn an institution when its data is seen, by signed webhook and e-mail, and
export a match as a MISP event. Canary hits are sent at once, confirmed matches once an
analyst confirms them; deliveries are retried with backoff and never lost."""

from .channels import AlertChannels
from .errors import AlertError, DeliveryError
from .misp import misp_event
from .payload import alert_payload
from .sender import AlertSender
from .webhook import sign, verify

__all__ = ["AlertChannels", "AlertError", "AlertSender", "DeliveryError", "alert_payload", "misp_event", "sign", "verify"]
