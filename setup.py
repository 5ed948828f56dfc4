"""Package discovery: every package below xport/, backends/ and efficient_ops/ (installed as xport.*).

setuptools' own discovery cannot map top-level folders to subpackages, so the list is computed here; everything
else about the project is in pyproject.toml. A new backend folder needs no line here.
"""

from setuptools import find_packages, setup

ROOTS = {"xport": "xport", "xport.backends": "backends", "xport.efficient_ops": "efficient_ops"}

setup(packages=[f"{package}.{sub}" if sub else package
                for package, folder in ROOTS.items() for sub in ["", *find_packages(folder)]])
