"""A small multi-node Ray cluster on this one machine, for tests of distributed rollouts (needs the ``ray`` extra).

Each node is its own raylet with its own CPUs, so actors spread over nodes as they would over machines, and a
killed worker process is a real lost worker. Kept small on purpose (one CPU and 100 MB of object store per node
by default): it shares the machine with everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["local_cluster"]


@contextmanager
def local_cluster(nodes: int = 2, *, cpus_per_node: int = 1, object_store_mb: int = 100) -> Iterator[str]:
    """Start ``nodes`` Ray nodes, connect this process, yield the cluster address; shut everything down after.

    Example::

        with local_cluster(2) as address:
            RayRolloutEngine("KeyValueLookup-v0", OraclePolicy, address=address, workers=2).run(range(8))
    """
    import ray
    from ray.cluster_utils import Cluster

    store = object_store_mb * 2**20
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": cpus_per_node, "object_store_memory": store, "include_dashboard": False},
    )
    try:
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=cpus_per_node, object_store_memory=store)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.shutdown()
