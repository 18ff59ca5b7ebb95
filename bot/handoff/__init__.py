"""Handing a citizen over to the 12345 hotline: work orders, written durably, delivered through an outbox."""

from bot.handoff.outbox import DeliveryStatus, OutboxDeliverer, WorkOrderStore, signature
from bot.handoff.work_orders import KIND_LABELS, Contact, Turn, WorkOrder, WorkOrderKind, new_reference

__all__ = [
    "KIND_LABELS",
    "Contact",
    "DeliveryStatus",
    "OutboxDeliverer",
    "Turn",
    "WorkOrder",
    "WorkOrderKind",
    "WorkOrderStore",
    "new_reference",
    "signature",
]
