// Module HoldfastUpstream: implementation pending.
