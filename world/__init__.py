"""The synthetic world leakwatch is tested, measured and demonstrated in.

    world.synth          synthetic French patient tables and leaks derived from them, with ground truth
    world.sites          fixture paste sites and forums on loopback (docs/fixture-sites.md)
    world.tornet         a private Tor network on loopback, with onion services
    world.redis_cluster  a local Redis Cluster
    world.demo           `leakwatch demo`: the whole job, end to end, on all of the above

Used by tests/, bench/ and the demo; never imported by the product (tests/test_import_contracts.py).
"""
