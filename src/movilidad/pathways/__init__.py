"""Pathways: the catalogue of legal pathways, their dated versions and criteria."""
