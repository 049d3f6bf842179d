"""SP-API + LWA emulator and the model contract checker (tests, demo, bench; not in the pipeline's Lambda zips
- it has a zip of its own, spapi_emulator.zip, for the acceptance run's real-account target:
lambda_function)."""

from spapi_emulator.app import EmulatorConfig, Exchange, SentNotification
from spapi_emulator.contract import ContractViolation, ModelContract, ModelsNotFoundError
from spapi_emulator.server import SpApiEmulator

__all__ = [
    "ContractViolation",
    "EmulatorConfig",
    "Exchange",
    "ModelContract",
    "ModelsNotFoundError",
    "SentNotification",
    "SpApiEmulator",
]
