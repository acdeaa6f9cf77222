# Copyright Spack Project Developers. See COPYRIGHT file for details.
#
# SPDX-License-Identifier: (Apache-2.0 OR MIT)

from spack_repo.builtin.build_systems.cmake import CMakePackage
from spack_repo.builtin.build_systems.cuda import CudaPackage

from spack.package import *


class Mathkit(CMakePackage, CudaPackage):
    """MathKit is a portable toolkit of scalable solvers for sparse linear and
    nonlinear systems. It offers Krylov methods, algebraic multigrid preconditioners
    and time integrators behind one interface.

    MathKit is developed by an imaginary lab for the importer's tests.
    """

    homepage = "https://mathkit.example.org"
    url = "https://github.com/example/mathkit/archive/refs/tags/v3.2.0.tar.gz"
    git = "https://github.com/example/mathkit.git"

    maintainers("alice-hpc", "bob-solver")

    license("BSD-3-Clause")

    version("develop", branch="main")
    version("3.2.0", sha256="0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
    version("3.1.1", sha256="1f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
    version(
        "2.9.0",
        sha256="2f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        deprecated=True,
    )

    variant("mpi", default=True, description="Enable MPI support")
    variant("hdf5", default=False, description="Checkpoint with HDF5")
    variant("superlu", default=False, description="Use SuperLU_DIST as a direct solver")
    variant(
        "precision",
        default="double",
        values=("single", "double"),
        multi=False,
        description="Floating-point precision",
    )

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("cmake@3.21:", type="build")
    depends_on("blas")
    depends_on("lapack")
    depends_on("mpi", when="+mpi")
    depends_on("sparsesolve@2.1:")
    depends_on("superlu-dist@8:", when="+superlu")
    depends_on("tinyjson@1.2:", type=("build", "link"))

    with when("+hdf5"):
        depends_on("hdf5+mpi", when="+mpi")
        depends_on("hdf5~mpi", when="~mpi")

    with when("+cuda"):
        depends_on("sparsesolve+cuda")
        conflicts("precision=single", msg="CUDA builds are double precision only")

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define_from_variant("MATHKIT_ENABLE_MPI", "mpi"),
            self.define("MATHKIT_PRECISION", spec.variants["precision"].value),
        ]
        if spec.satisfies("+hdf5"):
            args.append(self.define("HDF5_ROOT", spec["hdf5"].prefix))
        return args
