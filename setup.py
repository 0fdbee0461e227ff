"""Packages: everything under piiscan/, plus the top-level rules/ shipped as piiscan.rules."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["piiscan*"], exclude=["*__pycache__"]), "piiscan.rules"],
    package_dir={"piiscan.rules": "rules"},
)
