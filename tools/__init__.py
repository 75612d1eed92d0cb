"""The real work the agents call: papers, hub, data, training, evaluation, tracking.

Each family is a subpackage of plain typed functions returning small pydantic models. Heavy imports
(torch, transformers, trl, ray, vllm) happen inside the functions so `posttrain --help` stays fast.
"""
