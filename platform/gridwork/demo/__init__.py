"""Realistic demo data driven only by the config: people, records moved through their workflows, timed like real ones."""
