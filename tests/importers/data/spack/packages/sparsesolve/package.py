# Copyright Spack Project Developers. See COPYRIGHT file for details.
#
# SPDX-License-Identifier: (Apache-2.0 OR MIT)

from spack_repo.builtin.build_systems.autotools import AutotoolsPackage

from spack.package import *


class Sparsesolve(AutotoolsPackage):
    """Sparse direct and iterative solvers with a small C API. Older recipe style."""

    homepage = "https://sparsesolve.example.org/"
    url = "https://gitlab.com/example-group/sparsesolve/-/archive/v2.4.0/sparsesolve-v2.4.0.tar.gz"

    maintainers = ["carol-numerics"]

    version("2.4.0", sha256="3f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
    version("2.3.0", sha256="4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")

    variant("cuda", default=False, description="Build the CUDA kernels")

    depends_on("c", type="build")
    depends_on("autoconf", type="build", when="@2.4:")
    depends_on("mpi")
    depends_on("superlu-dist", when="@2.4:")

    provides("sparse-direct-api")

    def configure_args(self):
        return self.enable_or_disable("cuda")
