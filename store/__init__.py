"""Persistence: SQLAlchemy 2.x models, repositories and the engine/session factory.

Repositories never commit; transactions begin and end in the services layer.
"""
