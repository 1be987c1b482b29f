"""Listings that keep themselves current: scheduled, idempotent imports from public sources.

`http` is the one client (User-Agent, timeouts, pauses, faults), `grants_gov` and `feeds` are the
adapters (each turns upstream's answer into `items.Item`s), `mapping` applies a source's rules,
`syncing` applies a run to the listings, and `admin` is where staff manage sources and review
upstream changes. The models are in `opportunities/models/source.py`.
"""
