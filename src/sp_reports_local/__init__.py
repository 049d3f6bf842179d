"""Local AWS for the offline demo and integration tests: moto's server in-process plus tested extensions."""

from .aws import LocalAws
from .sns_messages import PublishedMessage, published_messages
from .terraform_provider import STACK_SERVICES, write_provider_override

__all__ = ["STACK_SERVICES", "LocalAws", "PublishedMessage", "published_messages", "write_provider_override"]
