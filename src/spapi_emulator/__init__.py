"""SP-API + LWA emulator and the model contract checker (tests, demo, bench; not shipped in Lambda zips)."""

from .app import EmulatorConfig, Exchange, SentNotification
from .contract import ContractViolation, ModelContract, ModelsNotFoundError
from .server import SpApiEmulator

__all__ = [
    "ContractViolation",
    "EmulatorConfig",
    "Exchange",
    "ModelContract",
    "ModelsNotFoundError",
    "SentNotification",
    "SpApiEmulator",
]
