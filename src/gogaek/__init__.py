"""Gogaek: a self-hosted, Korean-first customer center for payment and fintech apps."""

__version__ = "0.1.0"
