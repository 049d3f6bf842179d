"""The emulator's settings (`EmulatorConfig`): token and document URL lifetimes, the report lifecycle's pace,
what it checks and records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EmulatorConfig:
    access_token_ttl: int = 3600
    document_url_ttl: float = 300.0
    # Time-driven lifecycle: IN_QUEUE for in_queue_seconds, then IN_PROGRESS for in_progress_seconds.
    auto_advance: bool = True
    in_queue_seconds: float = 0.05
    in_progress_seconds: float = 0.05
    compress_documents: bool = True
    validate_responses: bool = True
    # Benchmarks making many thousands of calls can switch the exchange log off to keep memory flat.
    record_exchanges: bool = True
