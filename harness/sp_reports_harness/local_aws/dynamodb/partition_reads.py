"""A DynamoDB Query reads the items its key condition names, not the whole table.

DynamoDB Developer Guide, "Querying tables in DynamoDB"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.html): a Query "finds items based on
primary key values"; it reads one partition key value's items (of the table, or of an index), and what it
costs and how long it takes follow the items it reads, not the table's size. The pinned moto's
``Table.query`` starts from ``Table.all_items()``, which lists every item of the table and sorts them all,
and only then keeps the key's: a Query's time grows with the table (n log n comparisons of moto's
DynamoType). A fleet-sized pull-plans table (10,000 plans and their ledgers, benchmarks/pull_planner.py) then
spends minutes per tick in moto instead of in the planner.

This extension keeps moto's Query and changes only the list it starts from, for the duration of one Query:

- a base-table Query of a table with a sort key starts from the named partition's items
  (``Table.items[hash key]``, moto's own per-partition store), sorted as ``all_items`` sorts them;
- an index Query starts from the table's items unsorted: moto's index path keeps the matches and sorts
  them itself (``Table.sorted_items``, by the index keys and then the table's keys), so the order of the
  list it starts from does not change its answer.

Results, their order, pagination and LastEvaluatedKey are the ones moto gives without it
(tests/harness/local_aws/dynamodb/test_partition_reads.py compares both). The choice is held per thread:
local AWS serves requests on many threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sp_reports_harness.local_aws.moto_internals import DynamoDBTable, PatchSet

_QUERY = threading.local()


def _partition_items(table: Any, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key)
    if not partition:
        return []
    return sorted(partition.values(), key=lambda item: item.range_key)


def _starting_items(all_items: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    def items_to_start_from(self: Any) -> list[Any]:
        reading = getattr(_QUERY, "reading", None)
        if reading is None or reading[0] is not self:
            return all_items(self)
        _QUERY.reading = None  # one Query lists once; anything else it calls sees the whole table
        _table, hash_key, index_name = reading
        if index_name is None:
            return _partition_items(self, hash_key)
        return [item for partition in self.items.values() for item in partition.values()]

    return items_to_start_from


def _reading_what_it_names(query: Callable[..., Any]) -> Callable[..., Any]:
    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto's backend passes the index name as the eighth positional argument of Table.query.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        # Tables without a sort key keep one item per partition; moto's own path is already cheap enough
        # for them (and its items map holds items, not partitions).
        if not self.range_key_attr or (index_name is None and hash_key is None):
            return query(self, hash_key, *args, **kwargs)
        _QUERY.reading = (self, hash_key, index_name)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _QUERY.reading = None

    return partition_query


def partition_read_patches() -> PatchSet:
    patches = PatchSet("dynamodb_partition_reads")
    patches.wrap(DynamoDBTable, "all_items", _starting_items)
    patches.wrap(DynamoDBTable, "query", _reading_what_it_names)
    return patches
