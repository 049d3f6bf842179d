"""Athena's ListTagsForResource on a workgroup without tags answers an empty tag list, as Athena does.

The pinned moto answers 400 "Athena Resource, <arn> Does Not Exist" for any resource it holds no tags for, so
the AWS provider, which lists a workgroup's tags after creating it, cannot apply an untagged
`aws_athena_workgroup` (terraform/modules/analytics with the root's default `tags = {}`). Athena's API
reference (ListTagsForResource: https://docs.aws.amazon.com/athena/latest/APIReference/API_ListTagsForResource.html)
answers a resource's tags, none being an empty list; a resource that does not exist is still refused.
"""

from __future__ import annotations

from typing import Any

from sp_reports_harness.local_aws.moto_internals import AthenaBackend, PatchSet


def untagged_workgroup_patches() -> PatchSet:
    patches = PatchSet("athena_untagged")
    patches.wrap(AthenaBackend, "list_tags_for_resource", _listing_untagged_workgroups)
    return patches


def _listing_untagged_workgroups(original: Any) -> Any:
    def list_tags_for_resource(self: AthenaBackend, resource_arn: str) -> dict[str, Any] | None:
        tags = original(self, resource_arn)
        if tags is None and any(group.arn == resource_arn for group in self.work_groups.values()):
            return {"Tags": []}
        return tags

    return list_tags_for_resource
